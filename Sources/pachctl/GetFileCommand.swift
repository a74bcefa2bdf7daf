import ArgumentParser
import Foundation
import GRPCCore
import PachAPI
import PachctlKit

/// `pachctl get file REPO@REF:/PATH [-o OUT] [-r]`.
struct GetFile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "file",
        abstract: "Write a file's bytes to standard output or a file, or with -r a directory's files under -o DIR.",
        discussion: "Every chunk is verified against its id. With -o, a file is written under a temporary name and "
            + "renamed when complete, so a failed read leaves nothing partial behind.")

    @Argument(help: "REPO@REF:/PATH (REF: a branch, a commit id, master^ ...)")
    var file: String

    @Option(name: [.customShort("o"), .customLong("output")], help: "Write here (a directory with -r) instead of standard output.")
    var outputPath: String?

    @Flag(name: [.customShort("r"), .long], help: "Get every file under a directory.")
    var recursive = false

    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        if recursive && (outputPath == nil || outputPath == "-") {
            throw ValidationError("-r writes a tree of files: name a directory with -o DIR")
        }
    }

    func run() async throws {
        let target = try FileRef.parse(file)
        var request = Pfs_GetFileRequest()
        request.repo = target.repo
        request.ref = target.ref
        request.path = target.pathOrRoot
        request.recursive = recursive
        let session = try Session(connection)
        var inspect = Pfs_InspectFileRequest()
        inspect.repo = target.repo
        inspect.ref = target.ref
        inspect.path = target.pathOrRoot
        let info = try await session.run { clients in
            try await clients.pfs.inspectFile(inspect, options: clients.options)
        }
        if info.type == .dir && !recursive {
            throw PachctlError.usage("\(target) is a directory: get it with -r -o DIR")
        }
        let progress = ProgressDisplay(label: target.pathOrRoot, total: info.sizeBytes, enabled: outputPath != nil && outputPath != "-")
        do {
            if recursive {
                try await getTree(request, session: session, into: outputPath!, progress: progress)
            } else {
                try await getOne(request, session: session, progress: progress)
            }
        } catch {
            progress.abandon()
            throw error
        }
        progress.finish(always: false)
    }

    private func getOne(_ request: Pfs_GetFileRequest, session: Session, progress: ProgressDisplay) async throws {
        let sink = try ObjectSink(path: outputPath)
        do {
            try await session.run { clients in
                // Bytes already written cannot be taken back: no second attempt on another node then.
                try sink.requireFresh()
                try await clients.pfs.getFile(request, options: clients.transferOptions(timeout: connection.timeout)) { response in
                    for try await part in response.messages {
                        try sink.write(part.data)
                        progress.add(part.data.count)
                    }
                }
            }
            try sink.finish()
        } catch {
            sink.abandon()
            throw error
        }
    }

    /// Writes each file of the stream to `directory` + its path below the requested one.
    private func getTree(_ request: Pfs_GetFileRequest, session: Session, into directory: String,
                         progress: ProgressDisplay) async throws {
        let base = request.path == "/" ? "" : request.path
        try await session.run { clients in
            progress.reset()
            try await clients.pfs.getFile(request, options: clients.transferOptions(timeout: connection.timeout)) { response in
                var sink: ObjectSink?
                do {
                    for try await part in response.messages {
                        if part.hasFile {
                            try sink?.finish()
                            let relative = String(part.file.path.dropFirst(base.count))
                            let local = UploadPaths.join(directory, relative)
                            try FileManager.default.createDirectory(
                                atPath: (local as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                            sink = try ObjectSink(path: local)
                        }
                        try sink?.write(part.data)
                        progress.add(part.data.count)
                    }
                    try sink?.finish()
                } catch {
                    sink?.abandon()
                    throw error
                }
            }
        }
    }
}

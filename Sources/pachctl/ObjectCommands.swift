import ArgumentParser
import Foundation
import GRPCCore
import PachAPI
import PachctlKit
import Synchronization

/// `pachctl put object FILE|-`: stores a file (or standard input) as a content-addressed object and
/// prints its id.
struct PutObject: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "object",
        abstract: "Store a file (or - for standard input) as replicated chunks and print the object id.",
        discussion: "Objects no commit references are collected after the GC grace period; this is the "
            + "storage layer under files, for tools and tests.")

    @Argument(help: "A file to read, or - for standard input.")
    var source: String

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let input = try ObjectSource(path: source)
        let session = try Session(global)
        let info = try await session.run { clients in
            // A source that was read in part cannot be sent again to the next node.
            let handle = try input.open()
            defer { try? handle.close() }
            let chunkBytes = 1 << 20
            return try await clients.objects.putObject(
                request: StreamingClientRequest(of: Pfs_PutObjectRequest.self) { writer in
                    while true {
                        let data = try handle.read(upToCount: chunkBytes) ?? Data()
                        if data.isEmpty { break }
                        var part = Pfs_PutObjectRequest()
                        part.data = data
                        try await writer.write(part)
                    }
                },
                options: clients.transferOptions(timeout: global.timeout)
            )
        }
        session.write(session.presenter.storedObject(info))
    }
}

/// `pachctl get object ID [-o FILE]`.
struct GetObject: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "object", abstract: "Write an object's bytes to standard output or a file.")

    @Argument(help: "The object id (64 hex characters).")
    var id: String

    @Option(name: [.customShort("o"), .customLong("output")], help: "Write here instead of standard output.")
    var outputFile: String?

    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        guard id.count == 64, id.allSatisfy(\.isHexDigit) else {
            throw ValidationError("'\(id)' is not an object id (64 hex characters, as put object prints)")
        }
    }

    func run() async throws {
        var request = Pfs_GetObjectRequest()
        request.id = id.lowercased()
        let session = try Session(connection)
        let sink = try ObjectSink(path: outputFile)
        do {
            try await session.run { clients in
                // Bytes already written cannot be taken back: no second attempt on another node then.
                try sink.requireFresh()
                try await clients.objects.getObject(request, options: clients.transferOptions(timeout: connection.timeout)) { response in
                    for try await part in response.messages { try sink.write(part.data) }
                }
            }
            try sink.finish()
        } catch {
            sink.abandon()
            throw error
        }
    }
}

/// `pachctl inspect object ID`.
struct InspectObject: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "object", abstract: "Show an object's size and chunks, with the nodes holding each.")

    @Argument(help: "The object id (64 hex characters).")
    var id: String

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        var request = Pfs_InspectObjectRequest()
        request.id = id.lowercased()
        let session = try Session(global)
        let info = try await session.run { clients in
            try await clients.objects.inspectObject(request, options: clients.options)
        }
        session.write(session.presenter.object(info))
    }
}

extension Clients {
    /// Transfers take as long as their bytes do: no deadline unless `--timeout` was given.
    func transferOptions(timeout: String?) -> CallOptions {
        var transfer = options
        if timeout == nil { transfer.timeout = nil }
        return transfer
    }
}

/// Where `put object` reads from. A file is opened afresh for each attempt; standard input can be read
/// only once, so a second attempt after a partial read is refused instead of storing a truncated object.
final class ObjectSource: Sendable {
    let path: String?
    private let stdinUsed = Mutex(false)

    init(path: String) throws {
        if path == "-" {
            self.path = nil
            return
        }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw PachctlError.configuration("cannot read '\(path)'")
        }
        self.path = path
    }

    func open() throws -> FileHandle {
        guard let path else {
            let used = stdinUsed.withLock { used in
                defer { used = true }
                return used
            }
            if used {
                throw PachctlError.configuration("the first node failed after standard input was read; "
                    + "retry with the data in a file so it can be sent again")
            }
            return FileHandle.standardInput
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw PachctlError.configuration("cannot open '\(path)'")
        }
        return handle
    }
}

/// Where `get object` writes: standard output, or a file written under a temporary name and renamed
/// into place only when the whole object arrived (a failed read leaves no partial file behind).
final class ObjectSink: @unchecked Sendable {
    // Used by one attempt at a time (Failover runs attempts one after another).
    private let handle: FileHandle
    private let finalPath: String?
    private let temporaryPath: String?
    private var bytesWritten = 0

    init(path: String?) throws {
        guard let path, path != "-" else {
            handle = FileHandle.standardOutput
            finalPath = nil
            temporaryPath = nil
            return
        }
        let temporary = path + ".pachctl-partial"
        guard FileManager.default.createFile(atPath: temporary, contents: nil),
              let handle = FileHandle(forWritingAtPath: temporary) else {
            throw PachctlError.configuration("cannot write '\(path)'")
        }
        self.handle = handle
        finalPath = path
        temporaryPath = temporary
    }

    func write(_ data: Data) throws {
        try handle.write(contentsOf: data)
        bytesWritten += data.count
    }

    /// Throws once bytes were written: an attempt on the next node would repeat them.
    func requireFresh() throws {
        guard bytesWritten == 0 else {
            throw PachctlError.configuration("the node failed after \(bytesWritten) bytes were written; "
                + "run the command again (with -o FILE, nothing partial is left behind)")
        }
    }

    func finish() throws {
        guard let finalPath, let temporaryPath else { return }
        try handle.synchronize()
        try handle.close()
        if FileManager.default.fileExists(atPath: finalPath) { try FileManager.default.removeItem(atPath: finalPath) }
        try FileManager.default.moveItem(atPath: temporaryPath, toPath: finalPath)
    }

    func abandon() {
        guard let temporaryPath else { return }
        try? handle.close()
        try? FileManager.default.removeItem(atPath: temporaryPath)
    }
}

import ArgumentParser
import Foundation
import GRPCCore
import PachAPI
import PachctlKit

/// `pachctl list file REPO@REF[:/DIR]`.
struct ListFile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "file", abstract: "List a directory of a commit (a file lists as itself): NAME, TYPE, SIZE.")

    @Argument(help: "REPO@REF[:/DIR]")
    var directory: String

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let target = try FileRef.parse(directory)
        var request = Pfs_ListFileRequest()
        request.repo = target.repo
        request.ref = target.ref
        request.path = target.pathOrRoot
        let session = try Session(global)
        try await FileListingPrinter(session: session).run { clients, take in
            try await clients.pfs.listFile(request, options: clients.transferOptions(timeout: global.timeout)) { response in
                for try await info in response.messages { try take(info) }
            }
        }
    }
}

/// Prints a listing as it streams in, `blockSize` entries at a time, so that the first lines of a
/// directory of millions appear long before the last entry arrives. Lines already printed cannot be
/// taken back: a node that fails after the first block is not retried on another (the error says so).
final class FileListingPrinter: @unchecked Sendable {  // used by one call at a time, in order
    static let blockSize = 1_000
    private let session: Session
    private var listing: Presenter.FileListing
    private var pending: [Pfs_FileInfo] = []
    private var printed = 0

    init(session: Session) {
        self.session = session
        listing = Presenter.FileListing(presenter: session.presenter)
    }

    func run(_ call: (Clients, @escaping @Sendable (Pfs_FileInfo) throws -> Void) async throws -> Void) async throws {
        try await session.run { clients in
            guard self.printed == 0 else {
                throw PachctlError.configuration("the node failed after \(self.printed) entries were listed; run the command again")
            }
            self.pending = []
            try await call(clients) { info in
                self.pending.append(info)
                if self.pending.count == Self.blockSize { self.flush() }
            }
        }
        flush()
        session.writeNow(listing.finish())
    }

    private func flush() {
        guard !pending.isEmpty else { return }
        session.writeNow(listing.block(pending))
        printed += pending.count
        pending = []
    }
}

/// `pachctl glob file 'REPO@REF:/PATTERN'`.
struct GlobFile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "file", abstract: "List the files and directories a glob pattern matches (*, ?, [..], **, {a,b}).")

    @Argument(help: "'REPO@REF:/PATTERN' (quote it so the shell leaves the pattern alone)")
    var pattern: String

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let target = try FileRef.parse(pattern)
        var request = Pfs_GlobFileRequest()
        request.repo = target.repo
        request.ref = target.ref
        request.pattern = target.pathOrRoot
        let session = try Session(global)
        try await FileListingPrinter(session: session).run { clients, take in
            try await clients.pfs.globFile(request, options: clients.transferOptions(timeout: global.timeout)) { response in
                for try await info in response.messages { try take(info) }
            }
        }
    }
}

/// `pachctl inspect file REPO@REF:/PATH`.
struct InspectFile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "file", abstract: "Show one file or directory in detail.")

    @Argument(help: "REPO@REF:/PATH")
    var file: String

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let target = try FileRef.parse(file)
        var request = Pfs_InspectFileRequest()
        request.repo = target.repo
        request.ref = target.ref
        request.path = target.pathOrRoot
        let session = try Session(global)
        let info = try await session.run { clients in
            try await clients.pfs.inspectFile(request, options: clients.options)
        }
        session.write(session.presenter.file(info))
    }
}

/// `pachctl delete file REPO@BRANCH:/PATH ...`.
struct DeleteFile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "file",
        abstract: "Delete files or directories (one call, one commit; or into the branch's open commit).",
        discussion: "Nothing is freed at once: the chunks stay while any commit refers to them, and GC reclaims the rest.")

    @Argument(help: "REPO@BRANCH:/PATH, then more paths in the same branch (/OTHER or REPO@BRANCH:/OTHER)")
    var files: [String]

    @Option(name: [.customShort("d"), .customLong("description")], help: "The description of the commit made.")
    var descriptionText = ""

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        guard let first = files.first else { throw PachctlError.usage("name a file to delete: REPO@BRANCH:/PATH") }
        let target = try FileRef.parseTarget(first)
        guard let firstPath = target.path else {
            throw PachctlError.usage("'\(first)' names no path: write REPO@BRANCH:/PATH (delete file / to empty the branch)")
        }
        var paths = [firstPath]
        for more in files.dropFirst() {
            if more.hasPrefix("/") {
                paths.append(more)
                continue
            }
            let other = try FileRef.parseTarget(more)
            guard other.repo == target.repo && other.ref == target.ref, let path = other.path else {
                throw PachctlError.usage("'\(more)': every path of one delete is in \(target.repo)@\(target.ref)")
            }
            paths.append(path)
        }
        var request = Pfs_DeleteFileRequest()
        request.repo = target.repo
        request.ref = target.ref
        request.paths = paths
        request.description_p = descriptionText
        let session = try Session(global)
        let response = try await session.run { clients in
            try await clients.pfs.deleteFile(request, options: clients.options)
        }
        session.write(session.presenter.wrote(response))
    }
}

/// `pachctl copy file SRC DST`.
struct CopyFile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "file",
        abstract: "Copy a file or directory by reference (no data is copied), replacing what is at the destination.")

    @Argument(help: "REPO@REF:/PATH (any commit; a directory from a finished one)")
    var source: String

    @Argument(help: "REPO@BRANCH:/PATH")
    var destination: String

    @Option(name: [.customShort("d"), .customLong("description")], help: "The description of the commit made.")
    var descriptionText = ""

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let from = try FileRef.parse(source)
        let to = try FileRef.parseTarget(destination)
        guard let fromPath = from.path else { throw PachctlError.usage("'\(source)' names no path: write REPO@REF:/PATH") }
        guard let toPath = to.path else { throw PachctlError.usage("'\(destination)' names no path: write REPO@BRANCH:/PATH") }
        var request = Pfs_CopyFileRequest()
        request.srcRepo = from.repo
        request.srcRef = from.ref
        request.srcPath = fromPath
        request.dstRepo = to.repo
        request.dstRef = to.ref
        request.dstPath = toPath
        request.description_p = descriptionText
        let session = try Session(global)
        let response = try await session.run { clients in
            try await clients.pfs.copyFile(request, options: clients.options)
        }
        session.write(session.presenter.wrote(response))
    }
}

/// `pachctl diff file REPO@NEW[:/PATH] [REPO@OLD[:/PATH]]`.
struct DiffFile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "file",
        abstract: "The files added, deleted and modified between two commits (default: against the parent).",
        discussion: "Identical subtrees are skipped without being read, so a diff costs what changed.")

    @Argument(help: "REPO@NEW[:/PATH]")
    var new: String

    @Argument(help: "REPO@OLD[:/PATH] (default: the new commit's parent, same path)")
    var old: String?

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let newer = try FileRef.parse(new)
        var request = Pfs_DiffFileRequest()
        request.newRepo = newer.repo
        request.newRef = newer.ref
        request.newPath = newer.pathOrRoot
        if let old {
            let older = try FileRef.parse(old)
            request.oldRepo = older.repo
            request.oldRef = older.ref
            request.oldPath = older.path ?? newer.pathOrRoot
        }
        let session = try Session(global)
        let changes = try await session.run { clients in
            try await clients.pfs.diffFile(request, options: clients.transferOptions(timeout: global.timeout)) { response in
                var all: [Pfs_DiffFileResponse] = []
                for try await change in response.messages { all.append(change) }
                return all
            }
        }
        session.write(session.presenter.diff(changes))
    }
}

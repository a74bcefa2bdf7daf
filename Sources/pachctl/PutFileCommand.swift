import ArgumentParser
import Foundation
import GRPCCore
import PachAPI
import PachctlKit
import Synchronization

/// `pachctl put file REPO@BRANCH[:/PATH] -f SRC ...`: one call, one commit (or into the open head).
struct PutFile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "file",
        abstract: "Put files into a branch: one call makes one commit (or writes into the branch's open commit).",
        discussion: """
            SRC is a file, - for standard input, or with -r a directory (its tree lands under PATH). \
            Several -f go into PATH as a directory. Files are uploaded -p at a time over one stream; a \
            progress bar shows on a terminal. --split cuts one input into numbered pieces \
            (0000000000000000, ...) under PATH; a second split continues the numbering.
            """)

    @Argument(help: "REPO@BRANCH[:/PATH] (or REPO@COMMIT-ID of an open commit)")
    var target: String

    @Option(name: [.customShort("f"), .customLong("file")], help: "A file, a directory (with -r), or - for standard input.")
    var sources: [String] = []

    @Flag(name: [.customShort("r"), .long], help: "Put directories recursively.")
    var recursive = false

    @Flag(name: [.customShort("a"), .long], help: "Append to the files instead of replacing them.")
    var append = false

    @Option(help: "Cut the input into pieces: line, json or csv.")
    var split: String?

    @Option(help: "Records per piece (with --split).")
    var targetFileDatums: UInt64 = 0

    @Option(help: "Bytes per piece, at least (with --split).")
    var targetFileBytes: UInt64 = 0

    @Option(help: "CSV: header records repeated at the top of every piece.")
    var headerRecords: UInt64 = 0

    @Option(name: [.customShort("p"), .customLong("parallelism")], help: "Files uploaded at once (1-16).")
    var parallelism = 8

    @Option(name: [.customShort("d"), .customLong("description")], help: "The description of the commit made.")
    var descriptionText = ""

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard (1...16).contains(parallelism) else { throw ValidationError("-p \(parallelism): give 1 to 16 files at once") }
        guard !sources.isEmpty else { throw ValidationError("name what to put with -f FILE (or -f - for standard input)") }
        if split != nil && sources.count != 1 { throw ValidationError("--split takes one input (-f FILE or -f -)") }
        if split == nil && (targetFileDatums != 0 || targetFileBytes != 0 || headerRecords != 0) {
            throw ValidationError("--target-file-datums, --target-file-bytes and --header-records need --split")
        }
    }

    func run() async throws {
        let file = try FileRef.parseTarget(target)
        let format = try Self.splitFormat(split)
        let plan = try UploadPlan.make(sources: sources, target: file.path, recursive: recursive)
        let session = try Session(global)
        let total = plan.items.contains { $0.local == nil } ? nil : plan.items.reduce(0) { $0 + $1.size }
        let label = plan.items.count == 1 ? plan.items[0].remote : "\(plan.items.count) files"
        let progress = ProgressDisplay(label: label, total: total)
        var header = Pfs_PutFileHeader()
        header.append = append
        header.split = format
        header.targetFileDatums = targetFileDatums
        header.targetFileBytes = targetFileBytes
        header.headerRecords = headerRecords
        let fileHeader = header
        let slots = parallelism
        let description = descriptionText
        let response: Pfs_PutFileResponse
        do {
            response = try await session.run { clients in
                progress.reset()
                return try await clients.pfs.putFile(
                    request: StreamingClientRequest(of: Pfs_PutFileRequest.self) { writer in
                        var first = Pfs_PutFileRequest()
                        first.target.repo = file.repo
                        first.target.ref = file.ref
                        first.target.description_p = description
                        try await writer.write(first)
                        try await plan.send(header: fileHeader, slots: slots, progress: progress) { try await writer.write($0) }
                    },
                    options: clients.transferOptions(timeout: global.timeout))
            }
        } catch {
            progress.abandon()
            throw error
        }
        progress.finish()
        session.write(session.presenter.wrote(response))
    }

    static func splitFormat(_ text: String?) throws(PachctlError) -> Pfs_SplitFormat {
        switch text?.lowercased() {
        case nil: return .none
        case "line"?: return .line
        case "json"?: return .json
        case "csv"?: return .csv
        case let other?: throw .usage("--split \(other): give line, json or csv")
        }
    }
}

/// The local files of one `put file` and where each goes.
struct UploadPlan: Sendable {
    struct Item: Sendable {
        /// Nil for standard input.
        var local: String?
        var remote: String
        var size: UInt64
    }

    var items: [Item]
    /// Standard input can be read once: a retry on another node after it was read is refused.
    let stdinRead = StdinOnce()

    static func make(sources: [String], target: String?, recursive: Bool) throws -> UploadPlan {
        var items: [Item] = []
        let single = sources.count == 1
        let manager = FileManager.default
        for source in sources {
            if source == "-" {
                items.append(Item(local: nil, remote: try UploadPaths.forStandardInput(target: target), size: 0))
                continue
            }
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: source, isDirectory: &isDirectory) else {
                throw PachctlError.configuration("cannot read '\(source)': no such file or directory")
            }
            let name = URL(fileURLWithPath: source).lastPathComponent
            guard isDirectory.boolValue else {
                guard manager.isReadableFile(atPath: source) else { throw PachctlError.configuration("cannot read '\(source)'") }
                items.append(Item(local: source, remote: try UploadPaths.forFile(named: name, target: target, single: single),
                                  size: Self.size(source)))
                continue
            }
            guard recursive else {
                throw PachctlError.usage("'\(source)' is a directory: put it with -r (its tree lands under the path)")
            }
            let base = UploadPaths.forDirectory(named: name, target: target, single: single)
            guard let walker = manager.enumerator(atPath: source) else {
                throw PachctlError.configuration("cannot list '\(source)'")
            }
            var found: [Item] = []
            while let relative = walker.nextObject() as? String {
                let full = source + "/" + relative
                var isDir: ObjCBool = false
                guard manager.fileExists(atPath: full, isDirectory: &isDir), !isDir.boolValue else { continue }
                let attributes = try? manager.attributesOfItem(atPath: full)
                guard (attributes?[.type] as? FileAttributeType) != .typeSocket else { continue }
                found.append(Item(local: full, remote: UploadPaths.join(base, relative), size: Self.size(full)))
            }
            items += found.sorted { $0.remote.utf8.lexicographicallyPrecedes($1.remote.utf8) }
        }
        return UploadPlan(items: items)
    }

    static func size(_ path: String) -> UInt64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.uint64Value ?? 0
    }

    /// Sends every item on up to `slots` slots at once, a megabyte at a time from each in turn.
    func send(header: Pfs_PutFileHeader, slots: Int, progress: ProgressDisplay,
              write: (Pfs_PutFileRequest) async throws -> Void) async throws {
        struct Open {
            var slot: UInt32
            var handle: FileHandle
        }
        var pending = items[...]
        var open: [Open] = []
        var freeSlots = (0..<UInt32(slots)).reversed().map { $0 }
        let pieceBytes = 1 << 20
        while !pending.isEmpty || !open.isEmpty {
            while !freeSlots.isEmpty, let item = pending.first {
                pending.removeFirst()
                let slot = freeSlots.removeLast()
                var message = Pfs_PutFileRequest()
                message.slot = slot
                message.header = header
                message.header.path = item.remote
                try await write(message)
                open.append(Open(slot: slot, handle: try handle(for: item)))
            }
            var index = 0
            while index < open.count {
                let data = try open[index].handle.read(upToCount: pieceBytes) ?? Data()
                var message = Pfs_PutFileRequest()
                message.slot = open[index].slot
                if data.isEmpty {
                    message.end = true
                    try await write(message)
                    if open[index].handle !== FileHandle.standardInput { try? open[index].handle.close() }
                    freeSlots.append(open[index].slot)
                    open.remove(at: index)
                    continue
                }
                message.data = data
                try await write(message)
                progress.add(data.count)
                index += 1
            }
        }
    }

    private func handle(for item: Item) throws -> FileHandle {
        guard let path = item.local else {
            guard stdinRead.take() else {
                throw PachctlError.configuration("the first node failed after standard input was read; "
                    + "retry with the data in a file so it can be sent again")
            }
            return FileHandle.standardInput
        }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw PachctlError.configuration("cannot open '\(path)'") }
        return handle
    }
}

/// True the first time only.
final class StdinOnce: Sendable {
    private let used = Mutex(false)

    func take() -> Bool {
        used.withLock { used in
            defer { used = true }
            return !used
        }
    }
}

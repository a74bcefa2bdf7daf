import Foundation
import GRPCCore
import PFS
import PachAPI
@testable import Node

/// File calls against a `PfsHarness`'s service, with their streams collected the way the transport
/// would.
extension PfsHarness {
    /// One file of a PutFile call.
    struct Upload {
        var path: String
        var bytes: [UInt8]
        var append = false
        var split: Pfs_SplitFormat = .none
        var targetDatums: UInt64 = 0
        var targetBytes: UInt64 = 0
        var headerRecords: UInt64 = 0

        init(_ path: String, _ text: String, append: Bool = false) {
            self.path = path
            self.bytes = Array(text.utf8)
            self.append = append
        }

        init(_ path: String, bytes: [UInt8]) {
            self.path = path
            self.bytes = bytes
        }
    }

    /// The messages of a PutFile call: the target, then each file on its own slot (in rounds of
    /// `slots`, interleaving their data in pieces of `pieceBytes`), then the deletes.
    static func putMessages(_ repo: String, _ ref: String, _ files: [Upload], deletes: [String] = [], slots: Int = 1,
                            pieceBytes: Int = 1 << 20, endFiles: Bool = true) -> [Pfs_PutFileRequest] {
        var messages: [Pfs_PutFileRequest] = []
        var target = Pfs_PutFileRequest()
        target.target.repo = repo
        target.target.ref = ref
        messages.append(target)
        for round in stride(from: 0, to: files.count, by: slots) {
            let group = Array(files[round..<min(files.count, round + slots)])
            for (slot, file) in group.enumerated() {
                var header = Pfs_PutFileRequest()
                header.slot = UInt32(slot)
                header.header.path = file.path
                header.header.append = file.append
                header.header.split = file.split
                header.header.targetFileDatums = file.targetDatums
                header.header.targetFileBytes = file.targetBytes
                header.header.headerRecords = file.headerRecords
                messages.append(header)
            }
            var offsets = [Int](repeating: 0, count: group.count)
            while zip(group, offsets).contains(where: { $1 < $0.bytes.count }) {
                for (slot, file) in group.enumerated() where offsets[slot] < file.bytes.count {
                    let end = min(file.bytes.count, offsets[slot] + pieceBytes)
                    var data = Pfs_PutFileRequest()
                    data.slot = UInt32(slot)
                    data.data = Data(file.bytes[offsets[slot]..<end])
                    messages.append(data)
                    offsets[slot] = end
                }
            }
            if endFiles {
                for slot in group.indices {
                    var end = Pfs_PutFileRequest()
                    end.slot = UInt32(slot)
                    end.end = true
                    messages.append(end)
                }
            }
        }
        for path in deletes {
            var delete = Pfs_PutFileRequest()
            delete.deletePath = path
            messages.append(delete)
        }
        return messages
    }

    @discardableResult
    func putFiles(_ repo: String, _ ref: String = "master", _ files: [Upload], deletes: [String] = [],
                  slots: Int = 1) async throws -> Pfs_PutFileResponse {
        try await putFile(messages: Self.putMessages(repo, ref, files, deletes: deletes, slots: slots))
    }

    @discardableResult
    func put(_ repo: String, _ path: String, _ text: String, ref: String = "master", append: Bool = false) async throws -> Pfs_PutFileResponse {
        try await putFiles(repo, ref, [Upload(path, text, append: append)])
    }

    /// Sends exactly `messages` as one PutFile call.
    func putFile(messages: [Pfs_PutFileRequest]) async throws -> Pfs_PutFileResponse {
        let stream = AsyncThrowingStream<Pfs_PutFileRequest, any Error> { continuation in
            for message in messages { continuation.yield(message) }
            continuation.finish()
        }
        let request = StreamingServerRequest(metadata: [:], messages: RPCAsyncSequence(wrapping: stream))
        return try await service.putFile(request: request, context: Self.context()).message
    }

    /// GetFile's messages: the headers (recursive) and the data, as one byte string per file path.
    func getFile(_ repo: String, _ ref: String, _ path: String, recursive: Bool = false) async throws -> [String: [UInt8]] {
        var message = Pfs_GetFileRequest()
        message.repo = repo
        message.ref = ref
        message.path = path
        message.recursive = recursive
        let response = try await service.getFile(request: Self.request(message), context: Self.context())
        let collector = Collector<Pfs_GetFileResponse>()
        _ = try await response.accepted.get().producer(RPCWriter(wrapping: collector))
        var files: [String: [UInt8]] = [:]
        var current = path
        for item in collector.items {
            if item.hasFile {
                current = item.file.path
                files[current] = []
            }
            files[current, default: []] += item.data
        }
        return files
    }

    /// The text of one file.
    func text(_ repo: String, _ ref: String, _ path: String) async throws -> String {
        String(decoding: try await getFile(repo, ref, path)[path] ?? [], as: UTF8.self)
    }

    func listFile(_ repo: String, _ ref: String, _ path: String = "/") async throws -> [Pfs_FileInfo] {
        var message = Pfs_ListFileRequest()
        message.repo = repo
        message.ref = ref
        message.path = path
        let response = try await service.listFile(request: Self.request(message), context: Self.context())
        let collector = Collector<Pfs_FileInfo>()
        _ = try await response.accepted.get().producer(RPCWriter(wrapping: collector))
        return collector.items
    }

    func globFile(_ repo: String, _ ref: String, _ pattern: String) async throws -> [String] {
        var message = Pfs_GlobFileRequest()
        message.repo = repo
        message.ref = ref
        message.pattern = pattern
        let response = try await service.globFile(request: Self.request(message), context: Self.context())
        let collector = Collector<Pfs_FileInfo>()
        _ = try await response.accepted.get().producer(RPCWriter(wrapping: collector))
        return collector.items.map(\.path)
    }

    func inspectFile(_ repo: String, _ ref: String, _ path: String) async throws -> Pfs_FileInfo {
        var message = Pfs_InspectFileRequest()
        message.repo = repo
        message.ref = ref
        message.path = path
        return try await service.inspectFile(request: Self.request(message), context: Self.context()).message
    }

    /// DiffFile as "+ path", "- path", "~ path" lines.
    func diffFile(_ repo: String, _ newRef: String, newPath: String = "", oldRef: String = "", oldPath: String = "") async throws -> [String] {
        var message = Pfs_DiffFileRequest()
        message.newRepo = repo
        message.newRef = newRef
        message.newPath = newPath
        message.oldRef = oldRef
        message.oldPath = oldPath
        let response = try await service.diffFile(request: Self.request(message), context: Self.context())
        let collector = Collector<Pfs_DiffFileResponse>()
        _ = try await response.accepted.get().producer(RPCWriter(wrapping: collector))
        return collector.items.map { item in
            switch item.type {
            case .added: return "+ \(item.newFile.path)"
            case .deleted: return "- \(item.oldFile.path)"
            default: return "~ \(item.newFile.path)"
            }
        }
    }

    func deleteFile(_ repo: String, _ ref: String = "master", _ paths: [String]) async throws -> Pfs_PutFileResponse {
        var message = Pfs_DeleteFileRequest()
        message.repo = repo
        message.ref = ref
        message.paths = paths
        return try await service.deleteFile(request: Self.request(message), context: Self.context()).message
    }

    func copyFile(_ repo: String, _ srcRef: String, _ srcPath: String, to dstRef: String, _ dstPath: String) async throws -> Pfs_PutFileResponse {
        var message = Pfs_CopyFileRequest()
        message.srcRepo = repo
        message.srcRef = srcRef
        message.srcPath = srcPath
        message.dstRepo = repo
        message.dstRef = dstRef
        message.dstPath = dstPath
        return try await service.copyFile(request: Self.request(message), context: Self.context()).message
    }
}

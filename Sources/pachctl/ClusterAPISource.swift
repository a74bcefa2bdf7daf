import Foundation
import GRPCCore
import PFS
import PachAPI

/// What `pachctl mount` shows, read and written through the public API (over one `MountConnection`).
struct ClusterAPISource: ClusterSource {
    let connection: MountConnection

    func repos() async throws -> [String] {
        try await connection.call { clients in
            try await clients.pfs.listRepo(Pfs_ListRepoRequest(), options: clients.options).repos.map(\.name)
        }
    }

    func branches(of repo: String) async throws -> [String] {
        var request = Pfs_ListBranchRequest()
        request.repo = repo
        return try await connection.call { [request] clients in
            try await clients.pfs.listBranch(request, options: clients.options).branches.map(\.name)
        }
    }

    func resolve(repo: String, ref: String) async throws -> ClusterCommit {
        var request = Pfs_InspectCommitRequest()
        request.repo = repo
        request.ref = ref
        let info = try await connection.call { [request] clients in try await clients.pfs.inspectCommit(request, options: clients.options) }
        let finished = info.state == .finished
        return ClusterCommit(id: info.id, finished: finished, timeNanos: finished ? info.finishedUnixNanos : info.startedUnixNanos)
    }

    func inspect(repo: String, commit: String, path: String) async throws -> ClusterEntry {
        var request = Pfs_InspectFileRequest()
        request.repo = repo
        request.ref = commit
        request.path = path
        let info = try await connection.call { [request] clients in try await clients.pfs.inspectFile(request, options: clients.options) }
        return Self.entry(info)
    }

    func list(repo: String, commit: String, path: String, page: @escaping @Sendable ([ClusterEntry]) -> Void) async throws {
        var request = Pfs_ListFileRequest()
        request.repo = repo
        request.ref = commit
        request.path = path
        // Pages handed on are not taken back: a listing that breaks midway is not retried elsewhere.
        let delivered = Delivered()
        try await connection.call { [request] clients in
            guard !delivered.any else { throw ClusterSourceError.unavailable("the node listing \(path) went away") }
            try await clients.pfs.listFile(request, options: clients.transferOptions(timeout: nil)) { response in
                var batch: [ClusterEntry] = []
                for try await info in response.messages {
                    batch.append(Self.entry(info))
                    if batch.count == 256 {
                        delivered.any = true
                        page(batch)
                        batch = []
                    }
                }
                delivered.any = true
                page(batch)
            }
        }
    }

    func read(repo: String, commit: String, path: String, offset: UInt64, length: Int) async throws -> [UInt8] {
        var request = Pfs_GetFileRequest()
        request.repo = repo
        request.ref = commit
        request.path = path
        request.offset = offset
        request.length = UInt64(length)
        return try await connection.call { [request] clients in
            try await clients.pfs.getFile(request, options: clients.options) { response in
                var bytes: [UInt8] = []
                bytes.reserveCapacity(length)
                for try await part in response.messages { bytes += part.data }
                return bytes
            }
        }
    }

    func put(repo: String, ref: String, path: String, contentsOf localFile: String) async throws {
        try await connection.call { clients in
            _ = try await clients.pfs.putFile(
                request: StreamingClientRequest(of: Pfs_PutFileRequest.self) { writer in
                    var first = Pfs_PutFileRequest()
                    first.target.repo = repo
                    first.target.ref = ref
                    first.target.description_p = "written through pachctl mount"
                    try await writer.write(first)
                    var open = Pfs_PutFileRequest()
                    open.header.path = path
                    try await writer.write(open)
                    let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: localFile))
                    defer { try? handle.close() }
                    while let data = try handle.read(upToCount: 1 << 20), !data.isEmpty {
                        var message = Pfs_PutFileRequest()
                        message.data = data
                        try await writer.write(message)
                    }
                    var end = Pfs_PutFileRequest()
                    end.end = true
                    try await writer.write(end)
                },
                options: clients.transferOptions(timeout: nil))
        }
    }

    func delete(repo: String, ref: String, path: String) async throws {
        var request = Pfs_DeleteFileRequest()
        request.repo = repo
        request.ref = ref
        request.paths = [path]
        request.description_p = "deleted through pachctl mount"
        _ = try await connection.call { [request] clients in try await clients.pfs.deleteFile(request, options: clients.options) }
    }

    static func entry(_ info: Pfs_FileInfo) -> ClusterEntry {
        ClusterEntry(path: info.path, isDirectory: info.type == .dir, sizeBytes: info.sizeBytes, id: info.id)
    }

    /// Whether part of a streamed answer was handed on already.
    final class Delivered: @unchecked Sendable {
        private let lock = NSLock()
        private var value = false
        var any: Bool {
            get { lock.withLock { value } }
            set { lock.withLock { value = newValue } }
        }
    }
}

import GRPCCore
import PFS
import Replication

/// Chunk I/O as file operations need it: the replicated chunk store on a node (`NodeChunkIO`), a
/// dictionary in tests.
protocol ChunkIO: Sendable {
    /// Threads for CPU work (chunking, hashing, compression), off the cooperative pool.
    var cpu: BlockingExecutor { get }
    /// Stores `frames` on their replicas; one receipt per frame. Throws an `RPCError` (unavailable,
    /// resource exhausted) when some frame is held by fewer than W replicas.
    func write(_ frames: [ChunkFrame]) async throws -> [WriteReceipt]
    /// A chunk's bytes, verified; `RPCError` not found when no live member holds a good copy.
    func read(_ id: ChunkID) async throws -> [UInt8]
    /// Uploads in flight here: register one while its chunks are not yet referenced by a commit, so GC
    /// spares them.
    var uploads: UploadRegistry { get }
}

/// Where file contents and file trees live, as the file API handlers see them.
protocol FileStorage: ChunkIO {
    /// Tree and file objects, verified, through the node's tree cache.
    var trees: TreeReader { get }
    /// Built trees of open commits.
    var openTrees: OpenCommitTrees { get }
}

/// Tree objects as chunks: a store is one frame written to its replicas, durable before it returns
/// (the tree builder proposes the root right after).
struct ChunkTreeStore: TreeObjectStore {
    let io: any ChunkIO

    func load(_ id: ChunkID) async throws -> [UInt8] {
        try await io.read(id)
    }

    func store(_ bytes: [UInt8]) async throws -> ChunkID {
        let frame = await io.cpu.run { ChunkFrame(encoding: bytes) }
        _ = try await io.write([frame])
        return frame.id
    }

    /// All the frames in one replicated write (the store syncs a batch once, not once per frame).
    func storeAll(_ objects: [[UInt8]]) async throws -> [ChunkID] {
        guard objects.count > 1 else { return try await objects.asyncMap(store) }
        let frames = await io.cpu.run { objects.map { ChunkFrame(encoding: $0) } }
        _ = try await io.write(frames)
        return frames.map(\.id)
    }
}

extension Array {
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}

/// A `FileStorage` over any chunk I/O: the trees are objects in the same chunks.
struct ChunkFileStorage: FileStorage {
    let io: any ChunkIO
    let trees: TreeReader
    let openTrees: OpenCommitTrees

    init(io: any ChunkIO, cache: TreeObjectCache?, openTrees: OpenCommitTrees = OpenCommitTrees()) {
        self.io = io
        self.openTrees = openTrees
        trees = TreeReader(store: ChunkTreeStore(io: io), cache: cache)
    }

    var cpu: BlockingExecutor { io.cpu }
    var uploads: UploadRegistry { io.uploads }

    func write(_ frames: [ChunkFrame]) async throws -> [WriteReceipt] {
        try await io.write(frames)
    }

    func read(_ id: ChunkID) async throws -> [UInt8] {
        try await io.read(id)
    }
}

/// The node's replicated chunk store as `ChunkIO`.
struct NodeChunkIO: ChunkIO {
    let chunks: NodeChunks

    var cpu: BlockingExecutor { chunks.cpu }
    var uploads: UploadRegistry { chunks.uploads }

    func write(_ frames: [ChunkFrame]) async throws -> [WriteReceipt] {
        let live = chunks.liveMembers()
        guard !live.isEmpty else {
            throw RPCError(code: .unavailable, message: "no live member is known yet (the cluster is starting); retry")
        }
        do { return try await chunks.writer().write(frames, live: live) } catch {
            throw ObjectService.rpcError(error, what: "writing chunks")
        }
    }

    func read(_ id: ChunkID) async throws -> [UInt8] {
        do { return try await chunks.reader().readBytes(id, live: chunks.liveMembers()) } catch {
            throw ObjectService.rpcError(error, what: "chunk \(id.hex)")
        }
    }
}

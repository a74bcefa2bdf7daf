import Foundation
import Jobs
import Logging
import PFS
import Raft
import Replication

/// The node's side of jobs: `JobsIO` over the real Raft node, chunk store and trees, and the loop that
/// runs the coordinator (on the leader) and this node's worker on every change of the replicated state.
final class NodeJobs: JobsIO, Sendable {
    let context: NodeContext
    let chunks: NodeChunks
    let storage: any FileStorage
    let logger: Logger
    /// Worker slots every node offers (nodes run the same binary with the same flags).
    let slots: Int

    var nodeID: MemberID { context.config.id }
    var metadata: MetadataStateMachine { context.metadata }
    var trees: TreeReader { storage.trees }

    init(context: NodeContext, chunks: NodeChunks, storage: any FileStorage, slots: Int, logger: Logger) {
        self.context = context
        self.chunks = chunks
        self.storage = storage
        self.slots = slots
        self.logger = logger
    }

    /// Runs until cancelled: a coordinator step and a worker step after every applied change, and at
    /// least every second (liveness changes, timeouts).
    func run(runtime: any ContainerRuntime, scratch: String, views: DatumViews?) async {
        let coordinator = Coordinator(io: self, logger: logger)
        let worker = Worker(io: self, runtime: runtime, scratch: scratch, slots: slots, logger: logger, views: views)
        var seen: UInt64 = 0
        while !Task.isCancelled {
            if context.raft.status.isRunning {
                await coordinator.step()
                worker.step()
            }
            let changes = metadata.changes
            let current = seen
            seen = await withTaskGroup(of: UInt64?.self) { group in
                group.addTask { await changes.wait(after: current) }
                group.addTask {
                    try? await Task.sleep(for: .seconds(1))
                    return nil
                }
                let first = await group.next() ?? nil
                group.cancelAll()
                return first ?? current
            }
        }
    }

    // MARK: JobsIO

    func isLeader() -> Bool {
        context.raft.status.role == .leader
    }

    func propose(_ command: JobsCommand) async throws -> JobsResult {
        var generator = SystemRandomNumberGenerator()
        let session = CallSession.fresh(using: &generator)
        let answer = try await context.propose(command.encoded, client: session.client, sequence: session.sequence)
        return try JobsResult(decoding: answer)
    }

    func liveWorkers() -> [Scheduler.Worker] {
        chunks.liveMembers().map { Scheduler.Worker(node: $0, slots: slots) }
    }

    func holders(of chunk: ChunkID) -> [MemberID] {
        let live = chunks.liveMembers()
        return Placement.replicas(for: chunk, members: live, count: chunks.policy().replicaCount(liveCount: live.count))
    }

    func materialize(file object: ChunkID, to path: String) async throws {
        let pieces = try await trees.fileObject(object).pieces
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path) else {
            throw RuntimeError("cannot create \(path) for a datum's input")
        }
        defer { try? handle.close() }
        for piece in pieces {
            let bytes = try await storage.read(piece.chunk)
            try handle.write(contentsOf: bytes)
        }
        _ = try? FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
    }

    /// Chunks every file in turn; frames (data chunks and file objects) go to the store in writes of up
    /// to 8 MiB, so a batch of many small outputs costs a few replicated writes, not two per file.
    func store(files paths: [String]) async throws -> [(object: ChunkID, sizeBytes: UInt64)] {
        let cpu = storage.cpu
        var pending: [ChunkFrame] = []
        var pendingBytes = 0
        func flush() async throws {
            guard !pending.isEmpty else { return }
            _ = try await storage.write(pending)
            pending = []
            pendingBytes = 0
        }
        func add(_ chunk: [UInt8]) async throws -> FileObject.Piece {
            let frame = await cpu.run { ChunkFrame(encoding: chunk) }
            pending.append(frame)
            pendingBytes += chunk.count
            if pendingBytes >= 8 << 20 { try await flush() }
            return FileObject.Piece(chunk: frame.id, sizeBytes: frame.rawLength)
        }
        var stored: [(object: ChunkID, sizeBytes: UInt64)] = []
        for path in paths {
            guard let handle = FileHandle(forReadingAtPath: path) else { throw RuntimeError("cannot read \(path)") }
            defer { try? handle.close() }
            var chunker = Chunker()
            var pieces: [FileObject.Piece] = []
            while let data = try handle.read(upToCount: 1 << 20), !data.isEmpty {
                for chunk in chunker.append(Array(data)) { pieces.append(try await add(chunk)) }
            }
            if let tail = chunker.finish() { pieces.append(try await add(tail)) }
            let object = FileObject(pieces: pieces)
            let frame = ChunkFrame(encoding: object.encoded)
            pending.append(frame)
            stored.append((frame.id, object.sizeBytes))
        }
        try await flush()
        return stored
    }

    func now() -> UInt64 {
        context.clock.nowNanos()
    }
}

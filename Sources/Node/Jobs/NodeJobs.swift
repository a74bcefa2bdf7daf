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
    func run(runtime: any ContainerRuntime, scratch: String) async {
        let coordinator = Coordinator(io: self, logger: logger)
        let worker = Worker(io: self, runtime: runtime, scratch: scratch, slots: slots, logger: logger)
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

    func store(file path: String) async throws -> (object: ChunkID, sizeBytes: UInt64) {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw RuntimeError("cannot read \(path)") }
        defer { try? handle.close() }
        var chunker = Chunker()
        var pieces: [FileObject.Piece] = []
        func write(_ chunks: [[UInt8]]) async throws {
            guard !chunks.isEmpty else { return }
            let cpu = storage.cpu
            var frames: [ChunkFrame] = []
            for chunk in chunks { frames.append(await cpu.run { ChunkFrame(encoding: chunk) }) }
            _ = try await storage.write(frames)
            pieces += frames.map { FileObject.Piece(chunk: $0.id, sizeBytes: $0.rawLength) }
        }
        while let data = try handle.read(upToCount: 1 << 20), !data.isEmpty {
            try await write(chunker.append(Array(data)))
        }
        if let tail = chunker.finish() { try await write([tail]) }
        let object = FileObject(pieces: pieces)
        let frame = ChunkFrame(encoding: object.encoded)
        _ = try await storage.write([frame])
        return (frame.id, object.sizeBytes)
    }

    func now() -> UInt64 {
        context.clock.nowNanos()
    }
}

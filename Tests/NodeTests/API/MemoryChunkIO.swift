import GRPCCore
import Replication
import Synchronization
@testable import Node

/// `ChunkIO` over a dictionary, for file API tests without a cluster: every frame is verified as a
/// replica would, then kept; writes and reads are counted.
final class MemoryChunkIO: ChunkIO {
    private struct State {
        var frames: [ChunkID: ChunkFrame] = [:]
        var writes = 0
        var framesWritten = 0
        var reads = 0
    }

    let cpu = BlockingExecutor(threads: 2, label: "test.chunks.cpu")
    let uploads = UploadRegistry()
    private let state = Mutex(State())

    func write(_ frames: [ChunkFrame]) async throws -> [WriteReceipt] {
        for frame in frames {
            do { try frame.verify() } catch { throw RPCError(code: .internalError, message: "a bad frame was written: \(error)") }
        }
        state.withLock { state in
            state.writes += 1
            state.framesWritten += frames.count
            for frame in frames { state.frames[frame.id] = frame }
        }
        return frames.map { WriteReceipt(id: $0.id, holders: [1], missing: []) }
    }

    func read(_ id: ChunkID) async throws -> [UInt8] {
        guard let frame = state.withLock({ state -> ChunkFrame? in
            state.reads += 1
            return state.frames[id]
        }) else {
            throw RPCError(code: .notFound, message: "chunk \(id.hex) not found")
        }
        return try frame.decode()
    }

    /// Calls of `write` (batches) and the frames they carried.
    var writeCalls: Int { state.withLock { $0.writes } }
    var framesWritten: Int { state.withLock { $0.framesWritten } }
    /// Distinct chunks held.
    var count: Int { state.withLock { $0.frames.count } }
}

import Foundation
import GRPCCore
import PFS
import Replication

/// One `PutObject` in progress: bytes in, chunks out to their replicas a batch at a time.
///
/// Two stages overlap: while earlier batches are being written to their replicas (network, their
/// fsyncs), the bytes of the next arrive and are cut, hashed and compressed on the node's CPU threads
/// (both cores: the chunks of a batch are framed in parallel). At most `batchesInFlight` batches are in
/// flight and one is being prepared, so memory stays bounded whatever the object's size.
struct ObjectUpload {
    let chunks: NodeChunks
    let batchBytes: Int
    /// Batches being written at once.
    var batchesInFlight = 2
    private var chunker = Chunker()
    private var buffered: [UInt8] = []
    private var pieces: [FileObject.Piece] = []
    private var inFlight: [Task<[WriteReceipt], any Error>] = []
    private(set) var receipts: [ChunkID: WriteReceipt] = [:]

    init(chunks: NodeChunks, batchBytes: Int) {
        self.chunks = chunks
        self.batchBytes = batchBytes
    }

    /// Takes more bytes; starts writing a batch once enough are buffered.
    mutating func append(_ data: Data) async throws {
        buffered.append(contentsOf: data)
        if buffered.count >= batchBytes { try await flush(final: false) }
    }

    /// Writes what is left, waits for every batch, then writes the object itself; answers its id.
    mutating func finish() async throws -> (ChunkID, FileObject, [ChunkID: WriteReceipt]) {
        try await flush(final: true)
        try await settle(keeping: 0)
        let object = FileObject(pieces: pieces)
        let encoded = object.encoded
        let frame = await chunks.cpu.run { ChunkFrame(encoding: encoded) }
        try await start([frame])
        try await settle(keeping: 0)
        return (frame.id, object, receipts)
    }

    /// Abandons a batch still in flight (the call failed or was cancelled). Chunks already stored stay
    /// until GC collects them: nothing refers to them.
    func cancel() {
        for batch in inFlight { batch.cancel() }
    }

    /// Cuts the buffered bytes (and, when `final`, the chunker's tail) into frames, then hands them to
    /// the writer once the previous batch is durable.
    private mutating func flush(final: Bool) async throws {
        let input = buffered
        buffered = []
        let before = chunker
        let (cut, state) = await chunks.cpu.run { () -> ([[UInt8]], Chunker) in
            var chunker = before
            var cut = chunker.append(input)
            if final, let tail = chunker.finish() { cut.append(tail) }
            return (cut, chunker)
        }
        chunker = state
        let frames = await frame(cut)
        for frame in frames { pieces.append(FileObject.Piece(chunk: frame.id, sizeBytes: frame.rawLength)) }
        try await settle(keeping: batchesInFlight - 1)
        if !frames.isEmpty { try await start(frames) }
    }

    /// Hashes and compresses `pieces` on the CPU threads, in parallel, keeping their order.
    private func frame(_ pieces: [[UInt8]]) async -> [ChunkFrame] {
        let cpu = chunks.cpu
        return await withTaskGroup(of: (Int, ChunkFrame).self) { group in
            for (index, piece) in pieces.enumerated() {
                group.addTask { (index, await cpu.run { ChunkFrame(encoding: piece) }) }
            }
            var frames = [ChunkFrame?](repeating: nil, count: pieces.count)
            for await (index, frame) in group { frames[index] = frame }
            return frames.map { $0! }
        }
    }

    /// Waits for the oldest batches until at most `keeping` are in flight, recording their receipts.
    private mutating func settle(keeping: Int) async throws {
        while inFlight.count > keeping {
            let batch = inFlight.removeFirst()
            for receipt in try await batch.value { receipts[receipt.id] = receipt }
        }
    }

    private mutating func start(_ frames: [ChunkFrame]) async throws {
        let live = chunks.liveMembers()
        guard !live.isEmpty else {
            throw RPCError(code: .unavailable, message: "no live member is known yet (the cluster is starting); retry")
        }
        let writer = chunks.writer()
        inFlight.append(Task {
            do { return try await writer.write(frames, live: live) } catch {
                throw ObjectService.rpcError(error, what: "writing chunks")
            }
        })
    }
}

import Foundation
import GRPCCore
import PFS
import Replication

/// The files of one PutFile call on their way into the chunk store.
///
/// Files arrive on slots (several may be open at once) as header, bytes, end. Bytes are cut by the
/// content-defined chunker as they come; the cut chunks of all files are gathered and, once about
/// `batchBytes` are waiting (or enough small files are complete), hashed and compressed in parallel on
/// the CPU threads and written to their replicas as one batch, while the next batch fills: many small
/// files share one round trip to the replicas instead of paying two each. A file's object (its list of
/// chunks) is made once all its chunks are framed, and goes out in the same batch.
///
/// Nothing here is visible to anyone until the caller proposes the intents (`finish` returns them only
/// once every frame is durable on W replicas). Memory is bounded: the waiting chunks (≤ `batchBytes`),
/// the batches in flight, and each open slot's unfinished chunk (< 4 MiB).
struct FileUploads {
    /// What a slot's file becomes.
    struct Header: Sendable {
        var path: PFSPath
        var append: Bool
        var split: SplitOptions?
    }

    /// Slots open at once, at most.
    static let slotsMax = 16
    /// Complete files waiting for their object before a batch is cut anyway.
    static let readyFilesMax = 512

    let io: any ChunkIO
    var batchBytes = 8 << 20
    var batchesInFlight = 2

    private enum Kind {
        case put(PFSPath)
        case append(PFSPath)
        case splitPiece(PFSPath)
    }

    private struct Slot {
        var header: Header
        /// The file being filled (a split slot has none between pieces).
        var file: Int?
        var chunker = Chunker()
        var splitter: Splitter?
    }

    private struct PendingFile {
        var kind: Kind
        var pieces: [FileObject.Piece?] = []
        var unframed = 0
        var complete = false
        /// Its place in `intents`, once complete.
        var order = -1
    }

    private var slots: [UInt32: Slot] = [:]
    private var files: [Int: PendingFile] = [:]
    private var nextFile = 0
    private var raw: [(file: Int, piece: Int, bytes: [UInt8])] = []
    private var rawBytes = 0
    private var readyFiles = 0
    private var intentSlots: [FileIntent?] = []
    private var inFlight: [Task<[WriteReceipt], any Error>] = []

    /// Files completed so far (each split piece counts) and their bytes.
    private(set) var filesWritten = 0
    private(set) var bytesWritten: UInt64 = 0
    /// Chunks some replica missed (repair adds the copies later).
    private(set) var underReplicated = Set<ChunkID>()

    init(io: any ChunkIO) {
        self.io = io
    }

    // MARK: Messages

    /// Opens `slot` for a new file.
    mutating func open(slot: UInt32, _ header: Header) throws(RPCError) {
        guard slot < Self.slotsMax else {
            throw RPCError(code: .invalidArgument, message: "slot \(slot): a call has slots 0..<\(Self.slotsMax)")
        }
        guard slots[slot] == nil else {
            throw RPCError(code: .invalidArgument, message: "slot \(slot) already holds \(slots[slot]!.header.path); end it first")
        }
        var state = Slot(header: header)
        if let split = header.split {
            state.splitter = Splitter(split)
        } else {
            state.file = newFile(header.append ? .append(header.path) : .put(header.path))
        }
        slots[slot] = state
    }

    /// Takes bytes of the file on `slot`.
    mutating func data(slot: UInt32, _ data: Data) async throws {
        guard var state = slots.removeValue(forKey: slot) else {
            throw RPCError(code: .invalidArgument, message: "data for slot \(slot), which no header opened")
        }
        let bytes = [UInt8](data)
        if state.splitter != nil {
            let events: [SplitEvent]
            do { events = try state.splitter!.append(bytes) } catch {
                throw RPCError(code: .invalidArgument, message: "cannot split \(state.header.path): \(error)")
            }
            try await apply(events, to: &state)
        } else {
            try await feed(bytes, to: &state)
        }
        slots[slot] = state
        try await maybeFlush()
    }

    /// Ends the file on `slot`.
    mutating func end(slot: UInt32) async throws {
        guard var state = slots.removeValue(forKey: slot) else {
            throw RPCError(code: .invalidArgument, message: "end of slot \(slot), which no header opened")
        }
        if state.splitter != nil {
            let events: [SplitEvent]
            do { events = try state.splitter!.finish() } catch {
                throw RPCError(code: .invalidArgument, message: "cannot split \(state.header.path): \(error)")
            }
            try await apply(events, to: &state)
            completeFile(&state)
        } else {
            completeFile(&state)
        }
        try await maybeFlush()
    }

    /// Records a delete, in order with the files.
    mutating func delete(_ path: PFSPath) {
        intentSlots.append(.delete(path))
    }

    /// Writes everything still waiting and waits for every batch; answers the intents in order. Throws
    /// when a slot is still open (the file was not complete) or a batch failed.
    mutating func finish() async throws -> [FileIntent] {
        if let (slot, state) = slots.min(by: { $0.key < $1.key }) {
            throw RPCError(code: .invalidArgument, message: "the call ended before the end of \(state.header.path) (slot \(slot)); nothing was written")
        }
        try await flush()
        try await settle(keeping: 0)
        return intentSlots.map { $0! }
    }

    /// Abandons the batches in flight (the call failed). Chunks already stored stay until GC collects
    /// them: nothing refers to them.
    func cancel() {
        for batch in inFlight { batch.cancel() }
    }

    // MARK: Files

    private mutating func newFile(_ kind: Kind) -> Int {
        let id = nextFile
        nextFile += 1
        files[id] = PendingFile(kind: kind)
        return id
    }

    private mutating func apply(_ events: [SplitEvent], to state: inout Slot) async throws {
        for event in events {
            switch event {
            case .bytes(let bytes):
                if state.file == nil { state.file = newFile(.splitPiece(state.header.path)) }
                try await feed(bytes, to: &state)
            case .endOfPiece:
                completeFile(&state)
            }
        }
    }

    /// Cuts `bytes` into the slot's file (on the CPU threads for large inputs).
    private mutating func feed(_ bytes: [UInt8], to state: inout Slot) async throws {
        guard let file = state.file, !bytes.isEmpty else { return }
        var cut: [[UInt8]]
        if bytes.count >= 64 << 10 {
            let before = state.chunker
            let (chunks, after) = await io.cpu.run { () -> ([[UInt8]], Chunker) in
                var chunker = before
                return (chunker.append(bytes), chunker)
            }
            cut = chunks
            state.chunker = after
        } else {
            cut = state.chunker.append(bytes)
        }
        bytesWritten += UInt64(bytes.count)
        for chunk in cut { queue(chunk, for: file) }
    }

    private mutating func queue(_ chunk: [UInt8], for file: Int) {
        let index = files[file]!.pieces.count
        files[file]!.pieces.append(nil)
        files[file]!.unframed += 1
        rawBytes += chunk.count
        raw.append((file, index, chunk))
    }

    /// The slot's current file is complete: its tail chunk is queued and its place in the intents taken.
    private mutating func completeFile(_ state: inout Slot) {
        guard let file = state.file else { return }
        if let tail = state.chunker.finish() { queue(tail, for: file) }
        files[file]!.complete = true
        files[file]!.order = intentSlots.count
        intentSlots.append(nil)
        readyFiles += 1
        filesWritten += 1
        state.file = nil
    }

    // MARK: Batches

    private mutating func maybeFlush() async throws {
        if rawBytes >= batchBytes || readyFiles >= Self.readyFilesMax { try await flush() }
    }

    /// Frames every waiting chunk, makes the objects of the files now fully framed, and starts writing
    /// them all as one batch (after the oldest batch is durable, if too many are in flight).
    private mutating func flush() async throws {
        let pending = raw
        raw = []
        rawBytes = 0
        var frames = await frame(pending.map(\.bytes))
        for (item, frame) in zip(pending, frames) {
            files[item.file]!.pieces[item.piece] = FileObject.Piece(chunk: frame.id, sizeBytes: frame.rawLength)
            files[item.file]!.unframed -= 1
        }
        for (id, file) in files where file.complete && file.unframed == 0 {
            let object = FileObject(pieces: file.pieces.map { $0! })
            let objectFrame = ChunkFrame(encoding: object.encoded)
            frames.append(objectFrame)
            intentSlots[file.order] = Self.intent(file.kind, object: object, id: objectFrame.id)
            files[id] = nil
            readyFiles -= 1
        }
        try await settle(keeping: batchesInFlight - 1)
        if !frames.isEmpty { start(frames) }
    }

    private static func intent(_ kind: Kind, object: FileObject, id: ChunkID) -> FileIntent {
        switch kind {
        case .put(let path): return .put(path, object: id, sizeBytes: object.sizeBytes)
        case .append(let path): return .append(path, addition: object, additionID: id)
        case .splitPiece(let directory): return .splitPiece(directory: directory, object: id, sizeBytes: object.sizeBytes)
        }
    }

    /// Hashes and compresses `chunks` on the CPU threads, in parallel, keeping their order.
    private func frame(_ chunks: [[UInt8]]) async -> [ChunkFrame] {
        guard !chunks.isEmpty else { return [] }
        let cpu = io.cpu
        return await withTaskGroup(of: (Int, ChunkFrame).self) { group in
            for (index, chunk) in chunks.enumerated() {
                group.addTask { (index, await cpu.run { ChunkFrame(encoding: chunk) }) }
            }
            var frames = [ChunkFrame?](repeating: nil, count: chunks.count)
            for await (index, frame) in group { frames[index] = frame }
            return frames.map { $0! }
        }
    }

    private mutating func start(_ frames: [ChunkFrame]) {
        let io = self.io
        inFlight.append(Task { try await io.write(frames) })
    }

    /// Waits for the oldest batches until at most `keeping` are in flight.
    private mutating func settle(keeping: Int) async throws {
        while inFlight.count > max(0, keeping) {
            let batch = inFlight.removeFirst()
            for receipt in try await batch.value where receipt.isUnderReplicated { underReplicated.insert(receipt.id) }
        }
    }
}

import PFS
import Replication

/// The bytes of one file, or of every file of a walk, in order, with reads ahead: up to `chunksAhead`
/// chunks are fetched (verified) at once, and the objects of up to `objectsAhead` coming files are
/// loaded meanwhile, so a directory of many small files streams without a round trip per file.
///
/// Memory: at most `chunksAhead` chunks (≤ 4 MiB each) and `objectsAhead` chunk lists in flight.
struct FilePipeline {
    /// What the consumer gets, in order: each file's entry, then its bytes.
    enum Item {
        case file(TreeEntry)
        case bytes([UInt8])
    }

    private enum Queued {
        case file(TreeEntry)
        /// A chunk's read, and the part of it wanted (nil: all of it).
        case chunk(Task<[UInt8], any Error>, Range<Int>?)
    }

    /// A chunk of the current file and the part of it wanted.
    private struct Wanted {
        var chunk: ChunkID
        var slice: Range<Int>?
    }

    let io: any ChunkIO
    let reader: TreeReader
    var chunksAhead = 8
    var objectsAhead = 16

    private var single: TreeEntry?
    private var walk: TreeWalk.Iterator?
    private var walkDone = false
    private var objects: [(TreeEntry, Task<FileObject, any Error>)] = []
    private var current: (pieces: [Wanted], next: Int)?
    /// For a single file: the bytes wanted (nil: all).
    private let range: Range<UInt64>?
    private var queued: [Queued] = []
    private var chunksQueued = 0

    /// A pipeline over one file (`single`, or only `range` of its bytes) or over the files of `walk`.
    init(io: any ChunkIO, reader: TreeReader, single: TreeEntry?, walk: TreeWalk.Iterator?, range: Range<UInt64>? = nil) {
        self.io = io
        self.range = single == nil ? nil : range
        self.reader = reader
        self.single = single
        self.walk = walk
        walkDone = walk == nil
    }

    /// The next item; nil at the end.
    mutating func next() async throws -> Item? {
        try await refill()
        guard !queued.isEmpty else { return nil }
        switch queued.removeFirst() {
        case .file(let entry):
            return .file(entry)
        case .chunk(let task, let slice):
            chunksQueued -= 1
            let bytes = try await task.value
            guard let slice else { return .bytes(bytes) }
            guard slice.upperBound <= bytes.count else {
                throw PFSError.malformed("a chunk is shorter than its file object says")
            }
            return .bytes(Array(bytes[slice]))
        }
    }

    /// Stops every read in flight.
    func cancel() {
        for item in queued { if case .chunk(let task, _) = item { task.cancel() } }
        for (_, task) in objects { task.cancel() }
    }

    private mutating func refill() async throws {
        while chunksQueued < chunksAhead {
            if var file = current, file.next < file.pieces.count {
                let wanted = file.pieces[file.next]
                file.next += 1
                current = file
                let io = self.io
                queued.append(.chunk(Task { try await io.read(wanted.chunk) }, wanted.slice))
                chunksQueued += 1
                continue
            }
            current = nil
            try await prefetchObjects()
            guard !objects.isEmpty else { return }
            let (entry, task) = objects.removeFirst()
            let object = try await task.value
            guard object.sizeBytes == entry.sizeBytes else {
                throw PFSError.malformed("\(entry.path): the tree says \(entry.sizeBytes) bytes, its file object \(object.sizeBytes)")
            }
            queued.append(.file(entry))
            current = (Self.wanted(object.pieces, range), 0)
        }
    }

    /// The chunks holding `range` of a file made of `pieces`, each with the part of it in the range.
    private static func wanted(_ pieces: [FileObject.Piece], _ range: Range<UInt64>?) -> [Wanted] {
        guard let range else { return pieces.map { Wanted(chunk: $0.chunk, slice: nil) } }
        var wanted: [Wanted] = []
        var start: UInt64 = 0
        for piece in pieces {
            let end = start + UInt64(piece.sizeBytes)
            defer { start = end }
            if end <= range.lowerBound { continue }
            if start >= range.upperBound { break }
            let from = max(start, range.lowerBound) - start
            let to = min(end, range.upperBound) - start
            wanted.append(Wanted(chunk: piece.chunk, slice: from == 0 && to == UInt64(piece.sizeBytes) ? nil : Int(from)..<Int(to)))
        }
        return wanted
    }

    private mutating func prefetchObjects() async throws {
        while objects.count < objectsAhead {
            let entry: TreeEntry
            if let file = single {
                single = nil
                entry = file
            } else if !walkDone, let next = try await walk!.next() {
                entry = next
            } else {
                walkDone = true
                return
            }
            let reader = self.reader
            objects.append((entry, Task { try await reader.fileObject(entry.id) }))
        }
    }
}

import Replication

/// One change a file call asks for, with its bytes already stored, before it is resolved against the
/// commit it goes into. Resolution is where paths meet the tree: an append finds the file it extends, a
/// split piece gets the next free number, a copy replaces what is at its destination.
///
/// A call keeps its intents until its commit is made, so that when the commit moved on meanwhile (a new
/// head, or other writes to the same open commit) it can resolve them again against the new state
/// without re-sending any bytes.
public enum FileIntent: Sendable, Hashable {
    /// Puts (overwrites) a file whose contents are the stored file object `object`.
    case put(PFSPath, object: ChunkID, sizeBytes: UInt64)
    /// Appends the pieces of `addition` (stored as `additionID`) to the file at the path, or creates it.
    case append(PFSPath, addition: FileObject, additionID: ChunkID)
    /// One piece of a split input, stored as `object`, put at the next free number in `directory`.
    case splitPiece(directory: PFSPath, object: ChunkID, sizeBytes: UInt64)
    /// Removes the file or directory at the path; nothing when there is none.
    case delete(PFSPath)
    /// Puts a stored file or directory (by id: nothing is copied) at `to`, replacing what is there.
    case copy(TreeEntry, to: PFSPath)

    /// The path the intent writes (for a split piece, its directory).
    public var path: PFSPath {
        switch self {
        case .put(let path, _, _), .append(let path, _, _), .delete(let path): return path
        case .splitPiece(let directory, _, _): return directory
        case .copy(_, let to): return to
        }
    }
}

/// File objects by id, verified.
extension TreeReader {
    public func fileObject(_ id: ChunkID) async throws -> FileObject {
        let bytes = try await store.load(id)
        guard ChunkID(of: bytes) == id else {
            throw PFSError.malformed("file object \(id) does not match its id (\(bytes.count) bytes)")
        }
        return try FileObject(decoding: bytes)
    }

    /// The file object of `addition` appended to the stored object `existing`, stored; its id and size.
    func appended(_ addition: FileObject, to existing: ChunkID) async throws -> (ChunkID, UInt64) {
        let combined = FileObject(pieces: try await fileObject(existing).pieces + addition.pieces)
        let id = try await store.store(combined.encoded)
        return (id, combined.sizeBytes)
    }
}

/// Resolving intents into a new commit on top of a base tree: one builder, applied in order.
public enum NewCommitResolver {
    /// The tree `base` plus `intents`, stored (the caller proposes its root next). Throws
    /// `invalidArgument` naming the paths when an intent cannot apply (a put through a file, over a
    /// directory, an append to a directory, a split into a file), storing nothing of the tree.
    public static func build(base: ChunkID?, intents: [FileIntent], reader: TreeReader) async throws -> TreeBuilder.Result {
        var builder = TreeBuilder(base: base, reader: reader)
        var nextPiece: [PFSPath: UInt64] = [:]
        for intent in intents {
            switch intent {
            case .put(let path, let object, let size):
                try await builder.apply(.put(path, file: object, sizeBytes: size))
            case .append(let path, let addition, let additionID):
                switch try await builder.lookup(path) {
                case .file(let existing, _)?:
                    let (id, size) = try await reader.appended(addition, to: existing)
                    try await builder.apply(.put(path, file: id, sizeBytes: size))
                case .directory?:
                    throw PFSError.invalidArgument("'\(path)' is a directory, cannot append to it")
                case nil:
                    try await builder.apply(.put(path, file: additionID, sizeBytes: addition.sizeBytes))
                }
            case .splitPiece(let directory, let object, let size):
                if nextPiece[directory] == nil {
                    switch try await builder.lookup(directory) {
                    case .file?:
                        throw PFSError.invalidArgument("'\(directory)' is a file, cannot split into it")
                    case .directory(let names)?:
                        nextPiece[directory] = names.compactMap(SplitNaming.number(of:)).max().map { $0 + 1 } ?? 0
                    case nil:
                        nextPiece[directory] = 0
                    }
                }
                let number = nextPiece[directory]!
                nextPiece[directory] = number + 1
                let path = try directory.appending(SplitNaming.name(number))
                try await builder.apply(.put(path, file: object, sizeBytes: size))
            case .delete(let path):
                try await builder.apply(.delete(path))
            case .copy(let entry, let to):
                try await builder.apply(.delete(to))
                try await builder.apply(entry.kind == .file ? .put(to, file: entry.id, sizeBytes: entry.sizeBytes)
                                                            : .graft(to, tree: entry.id, sizeBytes: entry.sizeBytes))
            }
        }
        return try await builder.finish()
    }
}

/// Resolving intents into writes for an open commit, a batch at a time, against a `CommitView`.
public enum StagedResolver {
    /// One batch of writes to propose as one stage command.
    public struct Batch: Sendable {
        public var writes: [StagedTree.Write] = []
        public var guards: [PFSPath] = []
        /// Intents resolved into this batch, from the start of the slice given.
        public var consumed = 0
    }

    /// Resolves intents from the start of `intents` until about `maxWrites` writes and guards are
    /// collected. `nextPiece` carries each split directory's next number from batch to batch; the caller
    /// MUST reset it when a batch is refused for a conflict, since the numbers may be taken then.
    /// Throws `invalidArgument` for an intent that cannot apply.
    public static func nextBatch(_ intents: ArraySlice<FileIntent>, view: CommitView, commit: CommitID,
                                 nextPiece: inout [PFSPath: UInt64],
                                 maxWrites: Int = MetadataLimits.stageWritesMax) async throws -> Batch {
        var overlay = view
        var batch = Batch()
        for intent in intents {
            if batch.consumed > 0 && batch.writes.count + batch.guards.count + 3 > maxWrites { break }
            var writes: [StagedTree.Write] = []
            switch intent {
            case .put(let path, let object, let size):
                if let why = try await overlay.obstacle(toPutAt: path) { throw PFSError.invalidArgument(why) }
                writes = [.put(path, .file(object, sizeBytes: size))]
            case .append(let path, let addition, let additionID):
                switch try await overlay.lookup(path) {
                case .file(let existing, _)?:
                    let (id, size) = try await view.reader.appended(addition, to: existing)
                    writes = [.put(path, .file(id, sizeBytes: size))]
                case .directory?:
                    throw PFSError.invalidArgument("'\(path)' is a directory, cannot append to it")
                case nil:
                    if let why = try await overlay.obstacle(toPutAt: path) { throw PFSError.invalidArgument(why) }
                    writes = [.put(path, .file(additionID, sizeBytes: addition.sizeBytes))]
                }
            case .splitPiece(let directory, let object, let size):
                if case .file? = try await overlay.lookup(directory) {
                    throw PFSError.invalidArgument("'\(directory)' is a file, cannot split into it")
                }
                if nextPiece[directory] == nil {
                    nextPiece[directory] = try await overlay.pieceNumbers(in: directory).max().map { $0 + 1 } ?? 0
                }
                if !batch.guards.contains(directory) { batch.guards.append(directory) }
                let path = try directory.appending(SplitNaming.name(nextPiece[directory]!))
                if let why = try await overlay.obstacle(toPutAt: path) { throw PFSError.invalidArgument(why) }
                nextPiece[directory]! += 1
                writes = [.put(path, .file(object, sizeBytes: size))]
            case .delete(let path):
                writes = [.delete(path)]
            case .copy(let entry, let to):
                let content: StagedTree.Content = entry.kind == .file
                    ? .file(entry.id, sizeBytes: entry.sizeBytes) : .directory(entry.id, sizeBytes: entry.sizeBytes)
                var probe = overlay
                try probe.staged.apply([.delete(to)], basedOn: probe.staged.version, guards: [], commit: commit, pathsMax: .max)
                if let why = try await probe.obstacle(toPutAt: to, asDirectory: !content.isFile) {
                    throw PFSError.invalidArgument(why)
                }
                writes = [.delete(to), .put(to, content)]
            }
            for write in writes {
                try overlay.staged.apply([write], basedOn: overlay.staged.version, guards: [], commit: commit, pathsMax: .max)
            }
            batch.writes += writes
            batch.consumed += 1
        }
        return batch
    }
}

import Replication

/// `diff file` between two commits' trees, possibly at two different paths and over two different
/// readers (an open commit's tree is partly in memory): the files added, deleted and modified, in path
/// order, under the new path.
public enum FileDiff {
    /// The files that differ between `old` at `oldPath` (nil: the empty tree) and `new` at `newPath`.
    /// With equal paths, subtrees with equal ids are skipped unread (`TreeDiff`); with different paths,
    /// two directories are compared the same way, their paths reported under `newPath` (`oldPath` for
    /// deleted files).
    public static func changes(old: FileTree?, oldPath: PFSPath, new: FileTree, newPath: PFSPath) async throws -> [TreeDiff.Change] {
        let store = UnionTreeObjectStore(first: new.reader.store, second: old?.reader.store)
        let reader = TreeReader(store: store, cache: new.reader.cache)
        if oldPath == newPath {
            return try await TreeDiff.diff(old: old?.root, new: new.root, under: newPath, reader: reader)
        }
        async let oldEntry = old?.lookup(oldPath)
        async let newEntry = new.lookup(newPath)
        let (before, after) = (try await oldEntry, try await newEntry)
        switch (before, after) {
        case (nil, nil):
            return []
        case (let before?, let after?) where before.kind == .directory && after.kind == .directory:
            let relative = try await TreeDiff.diff(old: before.id, new: after.id, under: .root, reader: reader)
            return relative.map { rebase($0, old: oldPath, new: newPath) }
        case (let before?, let after?) where before.kind == .file && after.kind == .file:
            guard before.id != after.id || before.sizeBytes != after.sizeBytes else { return [] }
            return [.modified(newPath, old: before, new: after)]
        default:
            var changes: [TreeDiff.Change] = []
            if before != nil, let old { for try await file in old.walk(under: oldPath) { changes.append(.deleted(file.path, file)) } }
            if after != nil { for try await file in new.walk(under: newPath) { changes.append(.added(file.path, file)) } }
            return changes
        }
    }

    /// A change found between two subtrees (paths relative to them) with its paths under the real ones.
    private static func rebase(_ change: TreeDiff.Change, old: PFSPath, new: PFSPath) -> TreeDiff.Change {
        func under(_ base: PFSPath, _ entry: TreeEntry) -> TreeEntry {
            var moved = entry
            moved.path = PFSPath(trusted: base.components + entry.path.components)
            return moved
        }
        switch change {
        case .added(_, let entry):
            let moved = under(new, entry)
            return .added(moved.path, moved)
        case .deleted(_, let entry):
            let moved = under(old, entry)
            return .deleted(moved.path, moved)
        case .modified(_, let before, let after):
            let moved = under(new, after)
            return .modified(moved.path, old: under(old, before), new: moved)
        }
    }
}

/// Reads from `first`, then from `second`; stores into `first`. For comparing trees held by two
/// readers: objects are named by their contents, so either store's copy is the object.
public struct UnionTreeObjectStore: TreeObjectStore {
    public let first: any TreeObjectStore
    public let second: (any TreeObjectStore)?

    public init(first: any TreeObjectStore, second: (any TreeObjectStore)?) {
        self.first = first
        self.second = second
    }

    public func load(_ id: ChunkID) async throws -> [UInt8] {
        guard let second else { return try await first.load(id) }
        do { return try await first.load(id) } catch { return try await second.load(id) }
    }

    public func store(_ bytes: [UInt8]) async throws -> ChunkID {
        try await first.store(bytes)
    }
}

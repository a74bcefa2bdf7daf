import Replication

/// The files that differ between two trees, in path order. Directories with equal ids are equal
/// subtrees (Merkle), so they are skipped without being loaded: the cost is proportional to what
/// changed, which is what makes incremental processing cheap.
public enum TreeDiff {
    /// One file that differs.
    public enum Change: Sendable, Hashable, CustomStringConvertible {
        /// Only in the new tree.
        case added(PFSPath, TreeEntry)
        /// Only in the old tree.
        case deleted(PFSPath, TreeEntry)
        /// In both, with different contents.
        case modified(PFSPath, old: TreeEntry, new: TreeEntry)

        public var path: PFSPath {
            switch self {
            case .added(let path, _), .deleted(let path, _), .modified(let path, _, _): return path
            }
        }

        public var description: String {
            switch self {
            case .added(let path, _): return "+ \(path)"
            case .deleted(let path, _): return "- \(path)"
            case .modified(let path, _, _): return "~ \(path)"
            }
        }
    }

    /// The files that differ between `old` and `new` (nil: the empty tree) at or under `path`. A path
    /// that is a file in one tree and a directory in the other gives the deleted file and the added
    /// files (or the reverse), in path order.
    public static func diff(old: ChunkID?, new: ChunkID?, under path: PFSPath = .root,
                            reader: TreeReader) async throws -> [Change] {
        if old == new { return [] }
        var changes: [Change] = []
        if path.isRoot {
            // The roots are directories; only their ids matter here, so nothing is loaded to look them up.
            try await compare(old.map(rootEntry), new.map(rootEntry), reader: reader, into: &changes)
        } else {
            async let oldEntry = reader.tree(old).lookup(path)
            async let newEntry = reader.tree(new).lookup(path)
            try await compare(try await oldEntry, try await newEntry, reader: reader, into: &changes)
        }
        return changes
    }

    /// The root as an entry for `compare`, which reads only a directory's id (the size is not known
    /// without loading the object, and no change reports a directory).
    private static func rootEntry(_ id: ChunkID) -> TreeEntry {
        TreeEntry(path: .root, kind: .directory, id: id, sizeBytes: 0)
    }

    /// Appends the differences between two entries at the same path.
    private static func compare(_ old: TreeEntry?, _ new: TreeEntry?, reader: TreeReader,
                                into changes: inout [Change]) async throws {
        switch (old, new) {
        case (nil, nil):
            return
        case (let old?, let new?) where old.kind == .file && new.kind == .file:
            if old.id != new.id || old.sizeBytes != new.sizeBytes { changes.append(.modified(new.path, old: old, new: new)) }
        case (let old?, let new?) where old.kind == .directory && new.kind == .directory:
            if old.id == new.id { return }
            async let oldDirectory = reader.directory(old.id)
            async let newDirectory = reader.directory(new.id)
            try await merge(try await oldDirectory, try await newDirectory, at: new.path, reader: reader, into: &changes)
        default:
            // One side missing, or a file on one side and a directory on the other: the file sorts
            // first (it is an ancestor of the directory's files), then everything under the directory.
            if let old, old.kind == .file { changes.append(.deleted(old.path, old)) }
            if let new, new.kind == .file { changes.append(.added(new.path, new)) }
            if let old, old.kind == .directory {
                for try await file in reader.tree(old.id).walkFrom(old) { changes.append(.deleted(file.path, file)) }
            }
            if let new, new.kind == .directory {
                for try await file in reader.tree(new.id).walkFrom(new) { changes.append(.added(file.path, file)) }
            }
        }
    }

    /// Merges two directories' sorted entries, comparing entries of the same name. Pages of paged
    /// directories that are equal on both sides (page cuts depend on names only, so pages away from the
    /// changes stay equal) are skipped without being loaded.
    private static func merge(_ old: StoredDirectory, _ new: StoredDirectory, at path: PFSPath, reader: TreeReader,
                              into changes: inout [Change]) async throws {
        var oldCursor = DirectoryCursor(reader: reader, directory: old)
        var newCursor = DirectoryCursor(reader: reader, directory: new)
        var oldHead: TreeObject.Entry?
        var newHead: TreeObject.Entry?
        while true {
            if oldHead == nil, newHead == nil, let page = oldCursor.pageAhead, page == newCursor.pageAhead {
                oldCursor.skipPage()
                newCursor.skipPage()
                continue
            }
            if oldHead == nil { oldHead = try await oldCursor.next() }
            if newHead == nil { newHead = try await newCursor.next() }
            var left: TreeEntry?
            var right: TreeEntry?
            switch (oldHead, newHead) {
            case (nil, nil):
                return
            case (let oldEntry?, let newEntry) where newEntry == nil || PathRules.nameBefore(oldEntry.name, newEntry!.name):
                left = TreeEntry(parent: path, oldEntry)
                oldHead = nil
            case (let oldEntry, let newEntry?) where oldEntry == nil || PathRules.nameBefore(newEntry.name, oldEntry!.name):
                right = TreeEntry(parent: path, newEntry)
                newHead = nil
            case (let oldEntry?, let newEntry?):
                left = TreeEntry(parent: path, oldEntry)
                right = TreeEntry(parent: path, newEntry)
                oldHead = nil
                newHead = nil
            default:
                preconditionFailure("unreachable: both heads nil handled first")
            }
            try await compare(left, right, reader: reader, into: &changes)
        }
    }
}

extension FileTree {
    /// Every file under the directory `entry` (already looked up), in path order, without looking it up
    /// again: for the diff, which knows the entry from its parent.
    func walkFrom(_ entry: TreeEntry) -> TreeWalk {
        TreeWalk(tree: self, start: entry.path, include: { $0.kind == .file }, descend: { _ in true }, first: entry)
    }
}

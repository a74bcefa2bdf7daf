import Replication

/// A file or directory of a tree, by its full path: what reads answer.
public struct TreeEntry: Sendable, Hashable, CustomStringConvertible {
    public var path: PFSPath
    public var kind: TreeObject.Kind
    /// A `FileObject` id for a file, a `TreeObject` id for a directory.
    public var id: ChunkID
    /// The file's length, or the total of the files under the directory.
    public var sizeBytes: UInt64

    public init(path: PFSPath, kind: TreeObject.Kind, id: ChunkID, sizeBytes: UInt64) {
        self.path = path
        self.kind = kind
        self.id = id
        self.sizeBytes = sizeBytes
    }

    init(parent: PFSPath, _ entry: TreeObject.Entry) {
        self.init(path: parent.child(entry.name), kind: entry.kind, id: entry.id, sizeBytes: entry.sizeBytes)
    }

    public var isDirectory: Bool { kind == .directory }

    public var description: String { "\(path) \(kind) \(sizeBytes)B \(id.hex.prefix(12))" }
}

/// One page of a directory listing.
public struct TreePage: Sendable, Hashable {
    /// Up to `limit` entries, in name order.
    public var entries: [TreeEntry]
    /// The name to pass as `after` for the next page; nil when this page ends the directory.
    public var next: String?

    public init(entries: [TreeEntry], next: String?) {
        self.entries = entries
        self.next = next
    }
}

/// Loads tree objects: fetches the bytes, checks them against their id (corrupt data is never served),
/// decodes, and keeps them in the optional shared cache.
public struct TreeReader: Sendable {
    public let store: any TreeObjectStore
    public let cache: TreeObjectCache?

    public init(store: any TreeObjectStore, cache: TreeObjectCache? = nil) {
        self.store = store
        self.cache = cache
    }

    /// The directory object named `id`; `malformed` when the bytes do not hash to `id` or do not decode.
    public func object(_ id: ChunkID) async throws -> TreeObject {
        if let cached = cache?.object(id) { return cached }
        let bytes = try await store.load(id)
        guard ChunkID(of: bytes) == id else {
            throw PFSError.malformed("tree object \(id) does not match its id (\(bytes.count) bytes)")
        }
        let object = try TreeObject(decoding: bytes)
        cache?.insert(object, id: id, encodedBytes: bytes.count)
        return object
    }

    /// The tree whose root directory object is `root` (nil: the empty tree).
    public func tree(_ root: ChunkID?) -> FileTree {
        FileTree(root: root, reader: self)
    }
}

/// Reads over one tree: a root id plus the reader that loads its objects. Every read loads only the
/// objects on its path (lookup, list: the path's depth) or under it (walk, glob: pruned).
public struct FileTree: Sendable {
    /// The root directory object; nil for the empty tree.
    public let root: ChunkID?
    public let reader: TreeReader

    public init(root: ChunkID?, reader: TreeReader) {
        self.root = root
        self.reader = reader
    }

    /// The file or directory at `path`; nil when there is none (a path through a file has none). The
    /// empty tree has no entries, not even `/`.
    public func lookup(_ path: PFSPath) async throws -> TreeEntry? {
        guard let root else { return nil }
        var object = try await reader.object(root)
        var current = TreeEntry(path: .root, kind: .directory, id: root, sizeBytes: object.sizeBytes)
        for (level, name) in path.components.enumerated() {
            guard let entry = object.entry(named: name) else { return nil }
            current = TreeEntry(parent: current.path, entry)
            if level + 1 < path.depth {
                guard entry.kind == .directory else { return nil }
                object = try await reader.object(entry.id)
            }
        }
        return current
    }

    /// The entries of `directory` in name order, starting after the entry named `after` (which need not
    /// exist any more), at most `limit` of them. A file lists as itself (as in Pachyderm). Nil when
    /// nothing is at `directory`; the root of the empty tree lists as empty.
    public func list(_ directory: PFSPath, after: String? = nil, limit: Int = 1_000) async throws -> TreePage? {
        guard limit > 0 else { throw PFSError.invalidArgument("a list limit must be positive, got \(limit)") }
        if root == nil && directory.isRoot { return TreePage(entries: [], next: nil) }
        guard let entry = try await lookup(directory) else { return nil }
        guard entry.kind == .directory else {
            let listed = after.map { PathRules.nameBefore($0, entry.path.name ?? "") } ?? true
            return TreePage(entries: listed ? [entry] : [], next: nil)
        }
        let object = try await reader.object(entry.id)
        var start = 0
        if let after {
            let (found, index) = object.index(of: after)
            start = found ? index + 1 : index
        }
        let end = min(object.entries.count, start + limit)
        let page = object.entries[start..<end].map { TreeEntry(parent: directory, $0) }
        return TreePage(entries: page, next: end < object.entries.count ? page.last?.path.name : nil)
    }

    /// The size of the file or directory at `path`: nil when there is none; 0 for the empty tree's root.
    public func size(of path: PFSPath) async throws -> UInt64? {
        if root == nil && path.isRoot { return 0 }
        return try await lookup(path)?.sizeBytes
    }

    /// Every file at or under `path`, in path order, loading each directory only when the walk reaches
    /// it. Nothing when `path` does not exist.
    public func walk(under path: PFSPath = .root) -> TreeWalk {
        TreeWalk(tree: self, start: path, include: { $0.kind == .file }, descend: { _ in true })
    }

    /// Every file and directory that `pattern` matches, in path order, not descending into directories
    /// below which nothing can match.
    public func glob(_ pattern: Glob) -> TreeWalk {
        TreeWalk(tree: self, start: .root, include: { pattern.matches($0.path) },
                 descend: { pattern.mayMatchBelow($0) })
    }
}

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

/// Loads directory objects: fetches the bytes, checks them against their id (corrupt data is never
/// served), decodes, and keeps them in the optional shared cache.
public struct TreeReader: Sendable {
    public let store: any TreeObjectStore
    public let cache: TreeObjectCache?

    public init(store: any TreeObjectStore, cache: TreeObjectCache? = nil) {
        self.store = store
        self.cache = cache
    }

    /// The directory named `id`: one object or an index of pages; `malformed` when the bytes do not hash
    /// to `id` or do not decode.
    public func directory(_ id: ChunkID) async throws -> StoredDirectory {
        if let cached = cache?.directory(id) { return cached }
        let bytes = try await store.load(id)
        guard ChunkID(of: bytes) == id else {
            throw PFSError.malformed("tree object \(id) does not match its id (\(bytes.count) bytes)")
        }
        let directory = try StoredDirectory(decoding: bytes)
        cache?.insert(directory, id: id, encodedBytes: bytes.count)
        return directory
    }

    /// The `TreeObject` named `id`: a single-object directory or a page; `malformed` for an index.
    public func object(_ id: ChunkID) async throws -> TreeObject {
        switch try await directory(id) {
        case .single(let object): return object
        case .paged: throw PFSError.malformed("tree object \(id) is a directory index where a page was expected")
        }
    }

    /// Page `number` of `index`, checked against the index: its first name, entry count and size, and
    /// that its last name comes before the next page's first.
    public func page(_ number: Int, of index: DirectoryIndex) async throws -> TreeObject {
        let line = index.pages[number]
        let page = try await object(line.id)
        guard page.entries.count == Int(line.entryCount), PathRules.sameName(page.entries[0].name, line.firstName),
              page.sizeBytes == line.sizeBytes else {
            throw PFSError.malformed("directory page \(line.id) does not match its index line (first name, count or size)")
        }
        if number + 1 < index.pages.count, !PathRules.nameBefore(page.entries.last!.name, index.pages[number + 1].firstName) {
            throw PFSError.malformed("directory page \(line.id) runs into the next page's names")
        }
        return page
    }

    /// Every entry of `directory` in name order, loading a paged one's pages `concurrency` at a time.
    public func entries(of directory: StoredDirectory, concurrency: Int = 8) async throws -> [TreeObject.Entry] {
        let index: DirectoryIndex
        switch directory {
        case .single(let object): return object.entries
        case .paged(let paged): index = paged
        }
        var pages = [[TreeObject.Entry]](repeating: [], count: index.pages.count)
        let reader = self
        try await withThrowingTaskGroup(of: (Int, [TreeObject.Entry]).self) { group in
            var next = 0
            func start() {
                let number = next
                group.addTask { (number, try await reader.page(number, of: index).entries) }
                next += 1
            }
            while next < min(max(concurrency, 1), index.pages.count) { start() }
            while let (number, entries) = try await group.next() {
                pages[number] = entries
                if next < index.pages.count { start() }
            }
        }
        return pages.flatMap { $0 }
    }

    /// The entry called `name` in `directory`, loading at most one page.
    public func entry(named name: String, in directory: StoredDirectory) async throws -> TreeObject.Entry? {
        switch directory {
        case .single(let object):
            return object.entry(named: name)
        case .paged(let index):
            guard let number = index.pageIndex(for: name) else { return nil }
            return try await page(number, of: index).entry(named: name)
        }
    }

    /// The tree whose root directory object is `root` (nil: the empty tree).
    public func tree(_ root: ChunkID?) -> FileTree {
        FileTree(root: root, reader: self)
    }
}

/// Reads over one tree: a root id plus the reader that loads its objects. Every read loads only the
/// objects on its path (lookup, list: the path's depth, one page of each paged directory) or under it (walk, glob: pruned).
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
        var directory = try await reader.directory(root)
        var current = TreeEntry(path: .root, kind: .directory, id: root, sizeBytes: directory.sizeBytes)
        for (level, name) in path.components.enumerated() {
            guard let entry = try await reader.entry(named: name, in: directory) else { return nil }
            current = TreeEntry(parent: current.path, entry)
            if level + 1 < path.depth {
                guard entry.kind == .directory else { return nil }
                directory = try await reader.directory(entry.id)
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
        var cursor = DirectoryCursor(reader: reader, directory: try await reader.directory(entry.id), after: after)
        var page: [TreeEntry] = []
        while page.count < limit, let next = try await cursor.next() { page.append(TreeEntry(parent: directory, next)) }
        return TreePage(entries: page, next: cursor.isAtEnd ? nil : page.last?.path.name)
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

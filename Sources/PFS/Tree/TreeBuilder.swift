import Replication

/// Builds a new tree from a base tree plus staged changes, in order, as finish-commit needs: the result
/// is the tree the changes describe, with no empty directories, and its root id.
///
/// Only directories on the changed paths are loaded (each at most once per builder) and only those whose
/// contents changed are stored, so the work is proportional to the changes times their depth, never to
/// the size of the tree; unchanged subtrees keep their ids. The result depends only on the final
/// contents, not on the order or grouping of the changes that led there (Merkle determinism).
///
/// A change that cannot apply (a put through a file or over a directory) throws and leaves the builder
/// as it was, so the node can validate a change before staging it by applying it to a builder. Nothing
/// is stored before `finish`.
public struct TreeBuilder: Sendable {
    /// What a name in an opened directory holds.
    private enum Child: Sendable {
        case file(ChunkID, sizeBytes: UInt64)
        /// A stored subdirectory not opened (so unchanged so far).
        case directory(ChunkID, sizeBytes: UInt64)
        /// A subdirectory opened into `directories` under its path.
        case open
    }

    private struct Directory: Sendable {
        var children: [NameKey: Child]
        /// The id it was loaded from; nil for a directory the builder created.
        var originalID: ChunkID?
        /// The pages it was loaded from when it was paged: `finish` stores only pages not among them.
        var originalPages: Set<ChunkID> = []
    }

    /// The tree the changes apply to.
    public let base: ChunkID?
    public let reader: TreeReader
    /// Opened directories by path. Invariant: a path is reachable through `.open` children from the root
    /// exactly when it is live here; entries under a deleted open directory may linger, unreachable, and
    /// are overwritten whenever that path is opened or created again.
    private var directories: [PFSPath: Directory] = [:]
    /// Directory objects loaded so far.
    public private(set) var loads = 0
    /// The largest directory object `finish` will store; lowered by tests.
    var maxObjectBytes = TreeObject.maxEncodedBytes

    public init(base: ChunkID?, reader: TreeReader) {
        self.base = base
        self.reader = reader
    }

    /// What `finish` made.
    public struct Result: Sendable, Hashable {
        /// The new root id; nil for the empty tree.
        public var root: ChunkID?
        /// The size of the whole tree (the commit's size).
        public var sizeBytes: UInt64
        /// Directory objects stored: the new or changed directories (an opened directory whose bytes came
        /// out unchanged is not stored again).
        public var objectsStored: Int
    }

    /// `base` plus `changes`, stored.
    public static func build(base: ChunkID?, changes: some Sequence<StagedChange>, reader: TreeReader) async throws -> Result {
        var builder = TreeBuilder(base: base, reader: reader)
        for change in changes { try await builder.apply(change) }
        return try await builder.finish()
    }

    /// Applies one change; throws `invalidArgument` naming both paths when a put crosses a file or lands
    /// on a directory, in which case nothing changes.
    public mutating func apply(_ change: StagedChange) async throws {
        try await openRoot()
        switch change {
        case .put(let path, let file, let sizeBytes): try await put(path, .file(file, sizeBytes: sizeBytes))
        case .delete(let path): try await delete(path)
        case .graft(let path, let tree, let sizeBytes): try await put(path, .directory(tree, sizeBytes: sizeBytes))
        }
    }

    private mutating func openRoot() async throws {
        guard directories[.root] == nil else { return }
        guard let base else {
            directories[.root] = Directory(children: [:], originalID: nil)
            return
        }
        directories[.root] = try await load(base)
    }

    private mutating func load(_ id: ChunkID) async throws -> Directory {
        let stored = try await reader.directory(id)
        let entries = try await reader.entries(of: stored)
        loads += 1
        var children: [NameKey: Child] = [:]
        children.reserveCapacity(entries.count)
        for entry in entries {
            children[NameKey(entry.name)] = entry.kind == .file
                ? .file(entry.id, sizeBytes: entry.sizeBytes) : .directory(entry.id, sizeBytes: entry.sizeBytes)
        }
        var originalPages: Set<ChunkID> = []
        if case .paged(let index) = stored { originalPages = Set(index.pages.map(\.id)) }
        return Directory(children: children, originalID: id, originalPages: originalPages)
    }

    /// Opens the stored subdirectory `name` of the open directory `parent`. Opening changes no contents,
    /// so a change that fails after opening directories still changes nothing.
    private mutating func open(_ name: String, id: ChunkID, in parent: PFSPath) async throws {
        let directory = try await load(id)
        directories[parent.child(name)] = directory
        directories[parent]!.children[NameKey(name)] = .open
    }

    /// Puts a file, or (graft) a stored directory, at `path`.
    private mutating func put(_ path: PFSPath, _ child: Child) async throws {
        let isFile: Bool
        switch child {
        case .file: isFile = true
        case .directory: isFile = false
        case .open: preconditionFailure("put of an open directory at \(path)")
        }
        guard let fileName = path.name else {
            throw PFSError.invalidArgument("cannot put \(isFile ? "a file" : "a directory") at '/': the root is a directory")
        }
        // Walk down the existing directories; errors can only come from existing entries, so they are
        // all found before anything changes.
        var directory = PFSPath.root
        var existing = 0
        descend: while existing < path.depth - 1 {
            let name = path.components[existing]
            switch directories[directory]!.children[NameKey(name)] {
            case nil:
                break descend
            case .file:
                throw PFSError.invalidArgument("'\(directory.child(name))' is a file, cannot put '\(path)' under it")
            case .directory(let id, _):
                try await open(name, id: id, in: directory)
            case .open:
                break
            }
            directory = directory.child(name)
            existing += 1
        }
        if existing == path.depth - 1 {
            switch directories[directory]!.children[NameKey(fileName)] {
            case .directory, .open:
                throw PFSError.invalidArgument("'\(path)' is a directory, cannot put \(isFile ? "a file" : "a directory") over it (delete it first)")
            case .file where !isFile:
                throw PFSError.invalidArgument("'\(path)' is a file, cannot put a directory over it (delete it first)")
            case .file, nil:
                break
            }
        }
        // Create the missing directories, then the file.
        for name in path.components[existing..<(path.depth - 1)] {
            directories[directory]!.children[NameKey(name)] = .open
            directory = directory.child(name)
            directories[directory] = Directory(children: [:], originalID: nil)
        }
        directories[directory]!.children[NameKey(fileName)] = child
    }

    private mutating func delete(_ path: PFSPath) async throws {
        guard let targetName = path.name else {
            directories = [.root: Directory(children: [:], originalID: base)]
            return
        }
        var directory = PFSPath.root
        for name in path.components.dropLast() {
            switch directories[directory]!.children[NameKey(name)] {
            case nil, .file:
                return  // Nothing is at `path`: deleting a missing path is not an error.
            case .directory(let id, _):
                try await open(name, id: id, in: directory)
            case .open:
                break
            }
            directory = directory.child(name)
        }
        guard directories[directory]!.children.removeValue(forKey: NameKey(targetName)) != nil else { return }
        directories[path] = nil
        // No empty directories: remove each ancestor the delete left empty.
        while !directory.isRoot, directories[directory]!.children.isEmpty, let parent = directory.parent {
            directories[parent]!.children[NameKey(directory.name!)] = nil
            directories[directory] = nil
            directory = parent
        }
    }
}

extension TreeBuilder {
    /// What is at a path in the tree as built so far.
    public enum Found: Sendable, Hashable {
        case file(ChunkID, sizeBytes: UInt64)
        /// A directory, with its entries' names in name order.
        case directory(names: [String])
    }

    /// What is at `path` now (the base plus the changes applied so far); nil when nothing is. Opens the
    /// directories on the way (changing no contents), so later changes there load nothing again.
    public mutating func lookup(_ path: PFSPath) async throws -> Found? {
        try await openRoot()
        var directory = PFSPath.root
        for (level, name) in path.components.enumerated() {
            let child = directories[directory]!.children[NameKey(name)]
            let isLast = level == path.depth - 1
            switch child {
            case nil:
                return nil
            case .file(let id, let size):
                return isLast ? .file(id, sizeBytes: size) : nil
            case .directory(let id, _):
                try await open(name, id: id, in: directory)
            case .open:
                break
            }
            directory = directory.child(name)
        }
        let names = directories[directory]!.children.keys.sorted().map(\.text)
        if directory.isRoot && names.isEmpty { return nil }
        return .directory(names: names)
    }
}

extension TreeBuilder {
    /// One directory object to store.
    private struct Sealed {
        var id: ChunkID
        var bytes: [UInt8]
    }

    /// Encodes every changed directory, stores those whose contents changed (in writes of up to 256
    /// objects or 4 MiB, up to `concurrency` at a time), and returns the new root (nil for an empty
    /// tree) and size. Everything is encoded and
    /// checked before the first store, so a refusal (a directory too large, sizes overflowing) stores
    /// nothing. The caller proposes the root id only after this returns: by then every object is stored.
    public func finish(concurrency: Int = 8) async throws -> Result {
        precondition(concurrency > 0, "store concurrency \(concurrency) must be positive")
        guard directories[.root] != nil else {
            // No change was applied: the base, whose size is in its root object.
            guard let base else { return Result(root: nil, sizeBytes: 0, objectsStored: 0) }
            return Result(root: base, sizeBytes: try await reader.directory(base).sizeBytes, objectsStored: 0)
        }
        var pending: [Sealed] = []
        let root = try seal(.root, into: &pending)
        let store = reader.store
        var batches: [[Sealed]] = [[]]
        var batchBytes = 0
        for object in pending {
            if batches[batches.count - 1].count == 256 || (batchBytes + object.bytes.count > 4 << 20 && batchBytes > 0) {
                batches.append([])
                batchBytes = 0
            }
            batches[batches.count - 1].append(object)
            batchBytes += object.bytes.count
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            var inFlight = 0
            for batch in batches where !batch.isEmpty {
                if inFlight == concurrency {
                    _ = try await group.next()
                    inFlight -= 1
                }
                group.addTask {
                    let stored = try await store.storeAll(batch.map(\.bytes))
                    for (id, object) in zip(stored, batch) where id != object.id {
                        throw PFSError.malformed("the tree store named a tree object \(id), expected \(object.id)")
                    }
                }
                inFlight += 1
            }
            try await group.waitForAll()
        }
        return Result(root: root?.id, sizeBytes: root?.sizeBytes ?? 0, objectsStored: pending.count)
    }

    /// The entry for the open directory at `path` (nil when it is empty), appending the objects that
    /// changed to `pending`, children before parents.
    private func seal(_ path: PFSPath, into pending: inout [Sealed]) throws(PFSError) -> (id: ChunkID, sizeBytes: UInt64)? {
        let directory = directories[path]!
        var entries: [TreeObject.Entry] = []
        entries.reserveCapacity(directory.children.count)
        for (key, child) in directory.children.sorted(by: { $0.key < $1.key }) {
            switch child {
            case .file(let id, let size):
                entries.append(TreeObject.Entry(name: key.text, kind: .file, id: id, sizeBytes: size))
            case .directory(let id, let size):
                entries.append(TreeObject.Entry(name: key.text, kind: .directory, id: id, sizeBytes: size))
            case .open:
                if let sealed = try seal(path.child(key.text), into: &pending) {
                    entries.append(TreeObject.Entry(name: key.text, kind: .directory, id: sealed.id, sizeBytes: sealed.sizeBytes))
                }
            }
        }
        guard !entries.isEmpty else { return nil }
        guard let size = TreeObject.total(entries) else {
            throw .invalidArgument("the sizes of the files under '\(path)' add up to more than 2^64 bytes")
        }
        let ranges = DirectoryPaging.pages(entries)
        let bytes: [UInt8]
        if ranges.count == 1 {
            bytes = TreeObject(trusted: entries).encoded
        } else {
            var lines: [DirectoryIndex.Page] = []
            lines.reserveCapacity(ranges.count)
            for range in ranges {
                let page = Array(entries[range])
                let pageBytes = TreeObject(trusted: page).encoded
                let pageID = ChunkID(of: pageBytes)
                if !directory.originalPages.contains(pageID) { pending.append(Sealed(id: pageID, bytes: pageBytes)) }
                lines.append(DirectoryIndex.Page(firstName: page[0].name, id: pageID, entryCount: UInt32(page.count),
                                                 sizeBytes: TreeObject.total(page)!))
            }
            bytes = DirectoryIndex(trusted: lines).encoded
        }
        guard bytes.count <= maxObjectBytes else {
            throw .invalidArgument("directory '\(path)' has \(entries.count) entries; its object would be \(bytes.count) bytes, "
                                   + "over the limit of \(maxObjectBytes); spread the files over subdirectories")
        }
        let id = ChunkID(of: bytes)
        if id != directory.originalID { pending.append(Sealed(id: id, bytes: bytes)) }
        return (id, size)
    }
}

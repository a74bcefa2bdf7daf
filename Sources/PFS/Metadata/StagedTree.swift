import Replication

/// What one open commit has staged so far: a trie of the paths its writes touched, holding the final
/// state of each (not the history), so its size is the number of distinct paths written, however often
/// each was rewritten or appended to.
///
/// Per node:
/// - `content`: a file (a `FileObject` id) or a copied directory (a `TreeObject` id) put at the path;
/// - `cleared`: the path was deleted, so the parent commit's entries at and below it are gone (later
///   writes below it are kept in the children);
/// - `changedAt` / `subtreeChangedAt`: the `version` of the last write exactly at the path / at or
///   below it, for the optimistic check below.
///
/// Replaying the trie in pre-order (`changes`: at each node its delete, then its put, then its children
/// by name) gives the same tree as replaying the original writes in order: a delete at a path erases
/// everything staged below it before, so whatever is still below it came later.
///
/// **Concurrency without locks.** The proposer of a write validates it against its view of the commit
/// (the parent tree plus this trie at some `version` v) and proposes it "based on v". `apply` refuses it
/// (`stagedConflict`) when a write after v touched an ancestor of its path exactly, or anything at or
/// below its path: then the view it was validated against may be wrong there, and the proposer retries
/// with a fresh view. Writes to unrelated paths never conflict. As a second line, `apply` refuses a
/// write that contradicts the staged state itself (a file under a staged file, a file over a staged
/// directory), so a bug in a proposer cannot make the commit unfinishable.
public struct StagedTree: Sendable, Equatable {
    /// What a write puts at a path.
    public enum Content: Sendable, Hashable {
        /// A file: its `FileObject` id and length.
        case file(ChunkID, sizeBytes: UInt64)
        /// A directory copied by reference from another tree: its `TreeObject` id and total size.
        case directory(ChunkID, sizeBytes: UInt64)

        public var id: ChunkID {
            switch self {
            case .file(let id, _), .directory(let id, _): return id
            }
        }

        public var sizeBytes: UInt64 {
            switch self {
            case .file(_, let size), .directory(_, let size): return size
            }
        }

        public var isFile: Bool {
            if case .file = self { return true }
            return false
        }
    }

    /// One write of a stage command, as the proposer resolved it.
    public enum Write: Sendable, Hashable, CustomStringConvertible {
        /// Puts `content` at the path. The proposer made sure nothing is in the way (a directory where a
        /// file goes, a file above it); to replace a directory, it deletes it first.
        case put(PFSPath, Content)
        /// Removes whatever is at the path (nothing when nothing is there).
        case delete(PFSPath)

        public var path: PFSPath {
            switch self {
            case .put(let path, _), .delete(let path): return path
            }
        }

        public var description: String {
            switch self {
            case .put(let path, .file(let id, let size)): return "put \(path) \(id.hex.prefix(12)) \(size)B"
            case .put(let path, .directory(let id, let size)): return "copy dir \(path) \(id.hex.prefix(12)) \(size)B"
            case .delete(let path): return "delete \(path)"
            }
        }
    }

    struct Node: Sendable, Equatable {
        var content: Content?
        var cleared = false
        var changedAt: UInt64 = 0
        var subtreeChangedAt: UInt64 = 0
        var children: [NameKey: Node] = [:]
        /// Nodes with content strictly below this one.
        var contentBelow = 0
        /// Nodes strictly below this one.
        var nodesBelow = 0

        /// Whether the node says nothing (no content, no delete, no children): such nodes are pruned.
        var isEmpty: Bool { content == nil && !cleared && children.isEmpty }
    }

    var root = Node()
    /// Stage commands applied so far; 0 for a commit with nothing staged.
    public private(set) var version: UInt64 = 0

    /// Nothing staged.
    public init() {}

    /// Whether nothing is staged.
    public var isEmpty: Bool { root.isEmpty }

    /// Paths the trie holds a node for (what the staged-paths limit counts).
    public var pathCount: Int { root.nodesBelow + (root.isEmpty ? 0 : 1) }

    /// Paths holding staged content (files and copied directories).
    public var contentCount: Int { root.contentBelow }

    /// For decoding a snapshot only.
    mutating func setVersion(_ value: UInt64) {
        version = value
    }
}

// MARK: Queries

extension StagedTree {
    /// What the trie says about one path, for a proposer's view of the open commit.
    public struct Lookup: Sendable, Hashable {
        /// The deepest path at or above the path with staged content, and that content.
        public var contentPath: PFSPath?
        public var content: Content?
        /// The deepest path at or above the path that was deleted (the parent's entries there are gone),
        /// below `contentPath` if there is one (content replaces what was there before anyway).
        public var clearedAt: PFSPath?
        /// Whether the path has staged content strictly below it (so it is a directory in the commit).
        public var hasContentBelow: Bool
    }

    /// Walks from the root to `path` and reports the content and deletes on the way.
    public func lookup(_ path: PFSPath) -> Lookup {
        var result = Lookup(contentPath: nil, content: nil, clearedAt: nil, hasContentBelow: false)
        var node = root
        var current = PFSPath.root
        var level = 0
        while true {
            if node.cleared {
                result.clearedAt = current
                result.contentPath = nil
                result.content = nil
            }
            if let content = node.content {
                result.contentPath = current
                result.content = content
                result.clearedAt = nil
            }
            if level == path.depth {
                result.hasContentBelow = node.contentBelow > 0
                return result
            }
            let name = path.components[level]
            guard let child = node.children[NameKey(name)] else { return result }
            node = child
            current = current.child(name)
            level += 1
        }
    }

    /// The first path (an exact ancestor of `path`, or `path` or anything below it) written after
    /// `version`; nil when nothing relevant to `path` changed since.
    public func changed(_ path: PFSPath, since version: UInt64) -> PFSPath? {
        var node = root
        var current = PFSPath.root
        for name in path.components {
            if node.changedAt > version { return current }
            guard let child = node.children[NameKey(name)] else { return nil }
            node = child
            current = current.child(name)
        }
        return node.subtreeChangedAt > version ? current : nil
    }

    /// The staged writes as tree-builder changes, in pre-order: replaying them over the parent's tree
    /// gives the open commit's tree.
    public var changes: [StagedChange] {
        var result: [StagedChange] = []
        result.reserveCapacity(root.nodesBelow + 1)
        Self.collect(root, at: .root, into: &result)
        return result
    }

    private static func collect(_ node: Node, at path: PFSPath, into result: inout [StagedChange]) {
        if node.cleared { result.append(.delete(path)) }
        switch node.content {
        case .file(let id, let size)?: result.append(.put(path, file: id, sizeBytes: size))
        case .directory(let id, let size)?: result.append(.graft(path, tree: id, sizeBytes: size))
        case nil: break
        }
        for (key, child) in node.children.sorted(by: { $0.key < $1.key }) {
            collect(child, at: path.child(key.text), into: &result)
        }
    }

    /// Every content staged (file objects and copied directories): GC roots.
    public var contents: [Content] {
        var result: [Content] = []
        func visit(_ node: Node) {
            if let content = node.content { result.append(content) }
            for child in node.children.values { visit(child) }
        }
        visit(root)
        return result
    }

    /// The ids of `contents`.
    public var contentIDs: [ChunkID] { contents.map(\.id) }
}

// MARK: Changes

extension StagedTree {
    /// Applies one stage command: every write and guard is checked against the writes after `basedOn`
    /// first, then the writes are applied in order as version `version + 1`. Throws, changing nothing,
    /// on a conflict (`stagedConflict`, the caller retries with a fresh view), a write that contradicts the
    /// staged state (`invalidArgument`), or more than `pathsMax` paths (`limitExceeded`).
    mutating func apply(_ writes: [Write], basedOn: UInt64, guards: [PFSPath], commit: CommitID,
                        pathsMax: Int) throws(PFSError) {
        guard basedOn <= version else {
            throw .malformed("a stage command based on version \(basedOn) of commit \(commit), which is at \(version)")
        }
        for path in writes.map(\.path) + guards {
            if let changed = changed(path, since: basedOn) {
                throw .stagedConflict(commit, path: changed.description)
            }
        }
        // Each write adds at most one node per level: refusing on that bound keeps the check ahead of
        // any change (deterministic, and at most a few paths stricter than the exact count).
        let growth = writes.reduce(0) { $0 + $1.path.depth }
        guard pathCount + growth <= pathsMax else {
            throw .limitExceeded("commit \(commit) stages \(pathCount) paths; \(writes.count) more writes could take it "
                                 + "over the limit of \(pathsMax): finish it and continue in a new commit")
        }
        let next = version + 1
        if writes.count == 1 {
            // A single write checks everything before it changes anything: no copy to roll back to.
            try apply(writes[0], at: next)
        } else {
            let before = self
            do throws(PFSError) {
                for write in writes { try apply(write, at: next) }
            } catch {
                self = before
                throw error
            }
        }
        version = next
    }

    private mutating func apply(_ write: Write, at version: UInt64) throws(PFSError) {
        switch write {
        case .put(let path, let content):
            guard !path.isRoot else {
                throw .invalidArgument("cannot put at '/': the root is a directory")
            }
            try Self.update(&root, path.components[...], at: version) { (node) throws(PFSError) in
                if node.contentBelow > 0 {
                    throw .invalidArgument("'\(path)' is a directory in the open commit; delete it before putting over it")
                }
                if case .directory? = node.content, content.isFile {
                    throw .invalidArgument("'\(path)' is a directory in the open commit; delete it before putting a file there")
                }
                node.content = content
                node.changedAt = version
                node.subtreeChangedAt = version
                // Only deletes can be left below (no content, checked above). Content replaces
                // whatever was at the path, so they mean nothing now; kept, a pre-order replay would
                // apply them after the content and cut into a copied directory.
                node.children = [:]
                node.nodesBelow = 0
            } passing: { (ancestor, ancestorPath) throws(PFSError) in
                if case .file? = ancestor.content {
                    throw .invalidArgument("'\(ancestorPath)' is a file in the open commit; cannot put '\(path)' under it")
                }
            }
        case .delete(let path):
            if path.isRoot {
                root = Node(content: nil, cleared: true, changedAt: version, subtreeChangedAt: version)
                return
            }
            // Below a staged file there is nothing to delete.
            var node = root
            for name in path.components.dropLast() {
                guard let child = node.children[NameKey(name)] else { break }
                if case .file? = child.content { return }
                node = child
            }
            try Self.update(&root, path.components[...], at: version) { (node) throws(PFSError) in
                node = Node(content: nil, cleared: true, changedAt: version, subtreeChangedAt: version)
            } passing: { _, _ throws(PFSError) in }
        }
    }

    /// Descends to the node at `components` (creating the missing ones), runs `body` on it, then fixes
    /// the counts and versions on the way back up and prunes nodes left empty. `passing` sees every
    /// ancestor (with the path of it) before the descent continues below it, and may refuse; `body`
    /// may refuse too, before it changes anything.
    private static func update(
        _ node: inout Node, _ components: ArraySlice<String>, at version: UInt64, prefix: PFSPath = .root,
        _ body: (inout Node) throws(PFSError) -> Void,
        passing: (Node, PFSPath) throws(PFSError) -> Void
    ) throws(PFSError) {
        guard let name = components.first else {
            try body(&node)
            return
        }
        try passing(node, prefix)
        let key = NameKey(name)
        let existed = node.children[key] != nil
        var child = node.children.removeValue(forKey: key) ?? Node()
        let contentBefore = child.contentBelow + (child.content == nil ? 0 : 1)
        let nodesBefore = child.nodesBelow
        do throws(PFSError) {
            try update(&child, components.dropFirst(), at: version, prefix: prefix.child(name), body, passing: passing)
        } catch {
            if existed { node.children[key] = child }
            throw error
        }
        let contentAfter = child.contentBelow + (child.content == nil ? 0 : 1)
        node.contentBelow += contentAfter - contentBefore
        let keep = !child.isEmpty
        node.nodesBelow += (child.nodesBelow - nodesBefore) + (keep ? 1 : 0) - (existed ? 1 : 0)
        node.subtreeChangedAt = max(node.subtreeChangedAt, version)
        if keep { node.children[key] = child }
    }
}

import Replication

/// An open commit as a proposer of writes sees it: the parent's tree plus the staged trie, read without
/// building the commit's tree (`OpenCommitTrees` builds it for reads). Used to validate a write before
/// it is proposed and to resolve what a write depends on (the file an append extends, the numbers a
/// split continues).
///
/// Answers are exact except in one conservative case: a parent directory whose entries were all deleted
/// one by one is still reported as a directory (the build would drop it), so putting a file there is
/// refused until the directory itself is deleted.
public struct CommitView: Sendable {
    /// The parent commit's root (nil for none or an empty tree).
    public let parentRoot: ChunkID?
    /// What the commit has staged, possibly with the caller's own writes not yet proposed on top.
    public var staged: StagedTree
    public let reader: TreeReader

    public init(parentRoot: ChunkID?, staged: StagedTree, reader: TreeReader) {
        self.parentRoot = parentRoot
        self.staged = staged
        self.reader = reader
    }

    /// What is at a path.
    public enum Entry: Sendable, Hashable {
        case file(ChunkID, sizeBytes: UInt64)
        case directory
    }

    /// What is at `path` in the commit; nil when nothing is.
    public func lookup(_ path: PFSPath) async throws -> Entry? {
        let found = staged.lookup(path)
        if let at = found.contentPath, let content = found.content, found.clearedAt == nil {
            switch content {
            case .file(let id, let size):
                return at == path ? .file(id, sizeBytes: size) : nil
            case .directory(let tree, _):
                if found.hasContentBelow { return .directory }
                return try await sourceEntry(tree: tree, at: at, path: path)
            }
        }
        if found.hasContentBelow { return .directory }
        if found.clearedAt != nil { return nil }
        return try await sourceEntry(tree: parentRoot, at: .root, path: path)
    }

    /// The entry at `path` in the stored tree `tree`, which sits at `at` in the commit.
    private func sourceEntry(tree: ChunkID?, at: PFSPath, path: PFSPath) async throws -> Entry? {
        let relative = try PFSPath(components: Array(path.components.dropFirst(at.depth)))
        if relative.isRoot { return tree == nil ? nil : .directory }
        guard let entry = try await reader.tree(tree).lookup(relative) else { return nil }
        return entry.kind == .file ? .file(entry.id, sizeBytes: entry.sizeBytes) : .directory
    }

    /// Why a file (or, `asDirectory`, a copied directory) cannot be put at `path`; nil when it can.
    /// A file may replace a file; nothing may replace a directory (delete it first); no ancestor may be
    /// a file.
    public func obstacle(toPutAt path: PFSPath, asDirectory: Bool = false) async throws -> String? {
        guard !path.isRoot else { return "cannot put at '/': the root is a directory" }
        switch try await lookup(path) {
        case .directory?:
            return "'\(path)' is a directory, cannot put \(asDirectory ? "a directory" : "a file") over it (delete it first)"
        case .file? where asDirectory:
            return "'\(path)' is a file, cannot put a directory over it (delete it first)"
        case .file?, nil:
            break
        }
        // The nearest existing ancestor decides: a directory means every level above is one too.
        var ancestor = path.parent
        while let current = ancestor, !current.isRoot {
            switch try await lookup(current) {
            case .file?: return "'\(current)' is a file, cannot put '\(path)' under it"
            case .directory?: return nil
            case nil: ancestor = current.parent
            }
        }
        return nil
    }

    /// The names in the directory at `path` that are 16 lowercase hex digits (split pieces), as numbers;
    /// empty when there is no directory. Over-reports only in the conservative case above, which at worst
    /// skips numbers.
    public func pieceNumbers(in path: PFSPath) async throws -> [UInt64] {
        var names = Set<String>()
        let found = staged.lookup(path)
        var source: (tree: ChunkID?, at: PFSPath)? = (parentRoot, .root)
        if let at = found.contentPath, let content = found.content {
            guard case .directory(let tree, _) = content else { return [] }
            source = (tree, at)
        }
        if found.clearedAt != nil { source = nil }
        if let source, let relative = try? PFSPath(components: Array(path.components.dropFirst(source.at.depth))) {
            var after: String?
            let tree = reader.tree(source.tree)
            while let page = try await tree.list(relative, after: after, limit: 10_000) {
                for entry in page.entries where entry.path.depth == relative.depth + 1 { names.insert(entry.path.name!) }
                guard let next = page.next else { break }
                after = next
            }
        }
        for (name, child) in staged.children(of: path) {
            if child.isGone { names.remove(name) } else { names.insert(name) }
        }
        return names.compactMap(SplitNaming.number(of:))
    }
}

/// Names of split pieces: 16 lowercase hex digits, in order, as Pachyderm numbers them.
public enum SplitNaming {
    /// The name of piece `number`.
    public static func name(_ number: UInt64) -> String {
        let digits = String(number, radix: 16)
        return String(repeating: "0", count: max(0, 16 - digits.count)) + digits
    }

    /// The number a piece name stands for; nil for other names.
    public static func number(of name: String) -> UInt64? {
        guard name.utf8.count == 16, name.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
            return nil
        }
        return UInt64(name, radix: 16)
    }
}

extension StagedTree {
    /// What the trie says about one child of a directory, for listing it.
    struct ChildState {
        /// Deleted, with nothing staged at or below it since: the parent's entry is gone.
        var isGone: Bool
    }

    /// The trie's direct children of `path` (only those it holds nodes for), by name.
    func children(of path: PFSPath) -> [(String, ChildState)] {
        var node = root
        for name in path.components {
            guard let child = node.children[NameKey(name)] else { return [] }
            node = child
        }
        return node.children.map { key, child in
            (key.text, ChildState(isGone: child.cleared && child.content == nil && child.contentBelow == 0))
        }
    }
}

import Replication

/// A pre-order walk of a tree (so entries come in path order), as an async sequence: directories are
/// loaded only when the walk reaches them, so a consumer that stops early loads little, and memory is
/// one object (or page) per level. `include` chooses what is yielded, `descend` which directories are
/// entered.
public struct TreeWalk: AsyncSequence, Sendable {
    public typealias Element = TreeEntry

    let tree: FileTree
    let start: PFSPath
    let include: @Sendable (TreeEntry) -> Bool
    let descend: @Sendable (PFSPath) -> Bool
    /// The entry at `start` when the caller already has it (saves the lookup).
    var first: TreeEntry? = nil

    public func makeAsyncIterator() -> Iterator {
        Iterator(walk: self)
    }

    /// Collects the whole walk: for tests and small trees.
    public func collect() async throws -> [TreeEntry] {
        var result: [TreeEntry] = []
        for try await entry in self { result.append(entry) }
        return result
    }

    public struct Iterator: AsyncIteratorProtocol {
        private struct Frame {
            var path: PFSPath
            var id: ChunkID
            var cursor: DirectoryCursor?
        }

        private let walk: TreeWalk
        private var started = false
        private var stack: [Frame] = []

        init(walk: TreeWalk) {
            self.walk = walk
        }

        public mutating func next() async throws -> TreeEntry? {
            if !started {
                started = true
                var found = walk.first
                if found == nil { found = try await walk.tree.lookup(walk.start) }
                guard let first = found else { return nil }
                if first.kind == .directory && walk.descend(first.path) {
                    stack.append(Frame(path: first.path, id: first.id))
                }
                if walk.include(first) { return first }
            }
            while !stack.isEmpty {
                let top = stack.count - 1
                if stack[top].cursor == nil {
                    let reader = walk.tree.reader
                    stack[top].cursor = DirectoryCursor(reader: reader, directory: try await reader.directory(stack[top].id))
                }
                guard let next = try await stack[top].cursor!.next() else {
                    stack.removeLast()
                    continue
                }
                let entry = TreeEntry(parent: stack[top].path, next)
                if entry.kind == .directory && walk.descend(entry.path) {
                    // Content addressing rules out cycles, but a hostile object chain could still be deep.
                    guard stack.count < PathRules.maxDepth else {
                        throw PFSError.malformed("tree under \(walk.start) is deeper than \(PathRules.maxDepth) levels at \(entry.path)")
                    }
                    stack.append(Frame(path: entry.path, id: entry.id))
                }
                if walk.include(entry) { return entry }
            }
            return nil
        }
    }
}

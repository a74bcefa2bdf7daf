import Replication

/// The mark half of chunk GC: every chunk reachable from the metadata's roots (finished commits' trees,
/// open commits' staged files and copied directories): directory objects and the pages of paged ones,
/// file objects and the chunks they list. The sweep (Replication's `GarbageCollector`) deletes what is not marked.
///
/// Safety: a mark that cannot read some object throws, and the caller MUST NOT sweep then (a missing
/// directory would hide everything under it). Objects are content-addressed, so each is visited once
/// however many commits share it: the cost is the number of distinct objects, not of commits.
public enum GarbageMarker {
    /// Everything reachable from `treeRoots` and `staged`, read through `reader` (file objects are
    /// loaded `concurrency` at a time).
    public static func mark(treeRoots: [ChunkID], staged: [StagedTree.Content], reader: TreeReader,
                            concurrency: Int = 16) async throws -> Set<ChunkID> {
        var marked = Set<ChunkID>()
        var directories = treeRoots
        var files: [ChunkID] = []
        for content in staged {
            switch content {
            case .file(let id, _): files.append(id)
            case .directory(let id, _): directories.append(id)
            }
        }
        while let directory = directories.popLast() {
            guard marked.insert(directory).inserted else { continue }
            let stored = try await reader.directory(directory)
            if case .paged(let index) = stored { marked.formUnion(index.pages.map(\.id)) }
            for entry in try await reader.entries(of: stored) {
                switch entry.kind {
                case .file: files.append(entry.id)
                case .directory: directories.append(entry.id)
                }
            }
        }
        let fresh = files.filter { marked.insert($0).inserted }
        try await withThrowingTaskGroup(of: [ChunkID].self) { group in
            var next = 0
            var running = 0
            while next < fresh.count || running > 0 {
                while running < concurrency, next < fresh.count {
                    let id = fresh[next]
                    group.addTask { try await reader.fileObject(id).pieces.map(\.chunk) }
                    next += 1
                    running += 1
                }
                if let pieces = try await group.next() {
                    running -= 1
                    marked.formUnion(pieces)
                }
            }
        }
        return marked
    }
}

import Replication
import Testing
@testable import PFS

@Suite struct GarbageMarkerTests {
    @Test func marksTreesFileObjectsTheirChunksAndStagedContents() async throws {
        try await offPool {
            let (store, reader) = memoryTree()
            func object(_ pieces: [UInt64]) -> ChunkID {
                store.storeNow(FileObject(pieces: pieces.map { FileObject.Piece(chunk: fileID($0), sizeBytes: 1) }).encoded)
            }
            let a = object([1, 2])
            let b = object([2, 3])
            let staged = object([4])
            let unreferenced = object([5])
            var builder = TreeBuilder(base: nil, reader: reader)
            try await builder.apply(.put(path("/x/a"), file: a, sizeBytes: 2))
            try await builder.apply(.put(path("/y"), file: b, sizeBytes: 2))
            let root = try await builder.finish().root!
            let copied = try await build(reader, puts: [])  // the empty tree: nothing to graft
            #expect(copied == nil)
            let marked = try await GarbageMarker.mark(treeRoots: [root, root], staged: [.file(staged, sizeBytes: 1)], reader: reader)
            let subtree = try await reader.tree(root).lookup(path("/x"))!.id
            #expect(marked == [root, subtree, a, b, staged, fileID(1), fileID(2), fileID(3), fileID(4)])
            #expect(!marked.contains(unreferenced) && !marked.contains(fileID(5)))
        }
    }

    @Test func anUnreadableObjectFailsTheMark() async throws {
        try await offPool {
            let (store, reader) = memoryTree()
            let root = try await build(reader, puts: [("/f", 1, 1)])!
            // fileID(1) is not a stored file object: the mark cannot list its chunks, so it must not answer.
            await #expect(throws: (any Error).self) {
                _ = try await GarbageMarker.mark(treeRoots: [root], staged: [], reader: reader)
            }
            store.corrupt(root, with: [1, 2, 3])
            await #expect(throws: (any Error).self) {
                _ = try await GarbageMarker.mark(treeRoots: [root], staged: [], reader: reader)
            }
        }
    }
}

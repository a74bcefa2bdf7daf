import Replication
import Testing
@testable import PFS

@Suite struct TreeBuilderTests {
    @Test func putsMakeDirectoriesWithSummedSizes() async throws {
        let (store, reader) = memoryTree()
        let root = try await build(reader, puts: [("/a/b/c", 1, 10), ("/a/d", 2, 5), ("/e", 3, 1)])
        let tree = reader.tree(root)
        #expect(try await tree.lookup(path("/a"))?.kind == .directory)
        #expect(try await tree.size(of: path("/a")) == 15)
        #expect(try await tree.size(of: path("/a/b")) == 10)
        #expect(try await tree.size(of: .root) == 16)
        #expect(try await tree.lookup(path("/a/b/c")) == TreeEntry(path: path("/a/b/c"), kind: .file, id: fileID(1), sizeBytes: 10))
        #expect(try await tree.lookup(path("/a/x")) == nil)
        #expect(try await tree.lookup(path("/e/x")) == nil, "a path through a file does not exist")
        #expect(store.count == 3, "one object per directory: /, /a, /a/b")
    }

    @Test func emptyTreeIsNilRoot() async throws {
        let (store, reader) = memoryTree()
        #expect(try await build(reader, puts: []) == nil)
        #expect(try await build(reader, puts: [("/a/b", 1, 1)], deletes: ["/a/b"]) == nil)
        #expect(store.count == 0)
        let tree = reader.tree(nil)
        #expect(try await tree.list(.root) == TreePage(entries: [], next: nil))
        #expect(try await tree.size(of: .root) == 0)
        #expect(try await tree.lookup(.root) == nil)
        #expect(try await tree.walk().collect().isEmpty)
    }

    @Test func deletesRemoveFilesAndWholeDirectoriesAndEmptyParents() async throws {
        let (_, reader) = memoryTree()
        let base = try await build(reader, puts: [("/a/b/c", 1, 10), ("/a/d", 2, 5), ("/x/y/z", 3, 1)])
        let afterFile = try await build(reader, base: base, deletes: ["/x/y/z"])
        #expect(try await reader.tree(afterFile).lookup(path("/x")) == nil, "/x/y and /x became empty and went")
        let afterDirectory = try await build(reader, base: base, deletes: ["/a"])
        #expect(try await reader.tree(afterDirectory).walk().collect().map(\.path) == [path("/x/y/z")])
        let afterMissing = try await build(reader, base: base, deletes: ["/nope", "/a/b/c/d", "/a/zz"])
        #expect(afterMissing == base, "deleting a missing path is not an error and changes nothing")
        #expect(try await build(reader, base: base, deletes: ["/"]) == nil)
    }

    @Test func putThroughAFileNamesBothPaths() async throws {
        let (store, reader) = memoryTree()
        let base = try await build(reader, puts: [("/a", 1, 1), ("/d/f", 2, 2)])
        let before = store.count
        let throughFile = await message { _ = try await build(reader, base: base, puts: [("/a/b", 3, 3)]) }
        #expect(throughFile == "invalid argument: '/a' is a file, cannot put '/a/b' under it")
        let overDirectory = await message { _ = try await build(reader, base: base, puts: [("/d", 3, 3)]) }
        #expect(overDirectory == "invalid argument: '/d' is a directory, cannot put a file over it (delete it first)")
        // Staged in the same commit: the earlier put decides.
        let staged = await message { _ = try await build(reader, puts: [("/p/q", 1, 1), ("/p/q/r", 2, 2)]) }
        #expect(staged == "invalid argument: '/p/q' is a file, cannot put '/p/q/r' under it")
        let root = await message { _ = try await build(reader, puts: [("/", 1, 1)]) }
        #expect(root?.contains("root") == true)
        #expect(store.count == before, "a refused build stores nothing")
    }

    /// A refused change leaves the builder as it was; later changes still apply.
    @Test func refusedChangeChangesNothing() async throws {
        let (_, reader) = memoryTree()
        let base = try await build(reader, puts: [("/a", 1, 1), ("/d/f", 2, 2)])
        var builder = TreeBuilder(base: base, reader: reader)
        await #expect(throws: PFSError.self) { try await builder.apply(.put(path("/a/b/c"), file: fileID(3), sizeBytes: 3)) }
        await #expect(throws: PFSError.self) { try await builder.apply(.put(path("/d"), file: fileID(3), sizeBytes: 3)) }
        #expect(try await builder.finish().root == base)
        try await builder.apply(.delete(path("/a")))
        try await builder.apply(.put(path("/a/b"), file: fileID(4), sizeBytes: 4))
        let root = try await builder.finish().root
        #expect(try await reader.tree(root).walk().collect().map(\.path) == [path("/a/b"), path("/d/f")])
    }

    /// Changing one file rewrites only the directories above it; siblings keep their ids and objects.
    @Test func unchangedSubtreesKeepTheirIDs() async throws {
        let (store, reader) = memoryTree()
        var files: [(String, UInt64, UInt64)] = []
        for top in 0..<10 { for inner in 0..<10 { files.append(("/t\(top)/i\(inner)/f", UInt64(top * 10 + inner), 1)) } }
        let base = try await build(reader, puts: files)
        store.resetCounts()
        let next = try await build(reader, base: base, puts: [("/t3/i4/f", 999, 2)])
        #expect(store.newStores == 3, "/, /t3, /t3/i4")
        #expect(store.loads == 3)
        let old = try await reader.object(base!)
        let new = try await reader.object(next!)
        for (before, after) in zip(old.entries, new.entries) {
            #expect((before.id == after.id) == (before.name != "t3"), "\(before.name)")
        }
        #expect(try await reader.tree(next).size(of: .root) == 101)
        let untouched = try await TreeBuilder(base: next, reader: reader).finish()
        #expect(untouched == TreeBuilder.Result(root: next, sizeBytes: 101, objectsStored: 0))
    }

    @Test func sameContentsSameRootWhateverTheOrder() async throws {
        let (_, reader) = memoryTree()
        let one = try await build(reader, puts: [("/a/b", 1, 1), ("/c", 2, 2), ("/a/d", 3, 3)])
        let two = try await build(reader, puts: [("/a/d", 3, 3), ("/x/y", 9, 9), ("/c", 5, 5), ("/a/b", 1, 1), ("/c", 2, 2)],
                                  deletes: ["/x"])
        #expect(one == two)
        let staged = try await build(reader, base: try await build(reader, puts: [("/c", 2, 2)]), puts: [("/a/b", 1, 1), ("/a/d", 3, 3)])
        #expect(staged == one)
    }

    @Test func listPagesThroughLargeDirectories() async throws {
        let (_, reader) = memoryTree()
        let names = (0..<250).map { String(format: "f%04d", $0) }
        let root = try await build(reader, puts: names.enumerated().map { ("/big/\($0.element)", UInt64($0.offset), 1) } + [("/big2", 1, 1)])
        let tree = reader.tree(root)
        var seen: [String] = []
        var after: String?
        var pages = 0
        repeat {
            let page = try #require(try await tree.list(path("/big"), after: after, limit: 100))
            seen += page.entries.map { $0.path.name! }
            after = page.next
            pages += 1
        } while after != nil
        #expect(seen == names)
        #expect(pages == 3)
        #expect(try await tree.list(path("/big"), after: "f0100x", limit: 1)?.entries.first?.path == path("/big/f0101"),
                "after a name that is not there")
        #expect(try await tree.list(path("/missing")) == nil)
        #expect(try await tree.list(path("/big2"))?.entries.map(\.path) == [path("/big2")], "a file lists as itself")
        #expect(try await tree.list(.root)?.entries.map(\.path) == [path("/big"), path("/big2")])
        await #expect(throws: PFSError.self) { try await tree.list(.root, limit: 0) }
    }

    @Test func walkUnderAPathInPathOrder() async throws {
        let (_, reader) = memoryTree()
        let root = try await build(reader, puts: [("/a-", 1, 1), ("/a/b", 2, 1), ("/a/c/d", 3, 1), ("/b", 4, 1)])
        let tree = reader.tree(root)
        #expect(try await tree.walk().collect().map(\.path) == ["/a/b", "/a/c/d", "/a-", "/b"].map(path))
        #expect(try await tree.walk(under: path("/a")).collect().map(\.path) == ["/a/b", "/a/c/d"].map(path))
        #expect(try await tree.walk(under: path("/b")).collect().map(\.path) == [path("/b")])
        #expect(try await tree.walk(under: path("/zz")).collect().isEmpty)
    }

    /// A walk loads directories only as it reaches them, so stopping early loads little.
    @Test func walkIsLazy() async throws {
        let (store, reader) = memoryTree()
        let root = try await build(reader, puts: (0..<50).map { ("/d\($0)/f", UInt64($0), 1) })
        store.resetCounts()
        var iterator = reader.tree(root).walk().makeAsyncIterator()
        #expect(try await iterator.next()?.path == path("/d0/f"))
        #expect(store.loads <= 3)
    }

    /// A directory whose object would exceed the chunk limit is refused before anything is stored (the
    /// limit is lowered here; the real one is 64 MiB).
    @Test func finishRefusesOversizedDirectories() async throws {
        let (store, reader) = memoryTree()
        var builder = TreeBuilder(base: nil, reader: reader)
        builder.maxObjectBytes = 1_000
        for index in 0..<30 {
            try await builder.apply(.put(path("/d/name-\(index)"), file: fileID(1), sizeBytes: 1))
        }
        let why = await message { _ = try await builder.finish() }
        #expect(why?.contains("directory '/d' has 30 entries") == true)
        #expect(store.count == 0)
    }

    @Test func stagedChangesRoundTrip() throws {
        let changes: [StagedChange] = [.put(path("/a/é"), file: fileID(1), sizeBytes: 12), .delete(path("/")), .delete(path("/x/y"))]
        for change in changes {
            var writer = BinaryWriter()
            change.write(to: &writer)
            var reader = BinaryReader(writer.bytes)
            #expect(try StagedChange.read(from: &reader) == change)
            #expect(reader.remaining == 0)
        }
        var writer = BinaryWriter()
        writer.write(UInt8(2))
        writer.write("/a/../b")
        var reader = BinaryReader(writer.bytes)
        #expect(throws: PFSError.self) { try StagedChange.read(from: &reader) }
    }

    /// Reads of an open commit: build into a memory layer over the committed store, read it, and leave
    /// the committed store untouched.
    @Test func layeredStoreKeepsStagedTreesOutOfTheChunkStore() async throws {
        let (committed, reader) = memoryTree()
        let base = try await build(reader, puts: [("/a/b", 1, 1)])
        let before = committed.count
        let layered = LayeredTreeObjectStore(lower: committed)
        let overlayReader = TreeReader(store: layered)
        let open = try await build(overlayReader, base: base, puts: [("/a/c", 2, 2)])
        #expect(committed.count == before)
        #expect(layered.upper.count == 2)
        #expect(try await overlayReader.tree(open).walk().collect().map(\.path) == [path("/a/b"), path("/a/c")])
    }
}

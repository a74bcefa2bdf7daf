import Raft
import Replication
import Testing
@testable import PFS

/// Large directories are stored as pages under an index: reads of a name or of the first entries load
/// one page, changes store only the pages they touch, and everything reads back as one directory.
@Suite struct DirectoryPagingTests {
    static func names(_ count: Int, prefix: String = "f") -> [String] {
        (0..<count).map { String(format: "\(prefix)%06d", $0) }
    }

    /// A tree with `/big/<name>` for every name (file id = its position) and a file `/z`.
    static func bigTree(_ reader: TreeReader, names: [String]) async throws -> ChunkID {
        let changes = names.enumerated().map { StagedChange.put(path("/big/\($0.element)"), file: fileID(UInt64($0.offset)), sizeBytes: 2) }
        return try await TreeBuilder.build(base: nil, changes: changes + [.put(path("/z"), file: fileID(0), sizeBytes: 1)],
                                           reader: reader).root!
    }

    @Test func smallDirectoriesAreOneObjectLargeOnesAnIndexOverPages() async throws {
        try await offPool {
            let (store, reader) = memoryTree()
            let small = try await Self.bigTree(reader, names: Self.names(DirectoryPaging.singleObjectMaxEntries))
            let smallBig = try #require(try await reader.tree(small).lookup(path("/big")))
            guard case .single(let object) = try await reader.directory(smallBig.id) else {
                Issue.record("a directory of \(DirectoryPaging.singleObjectMaxEntries) entries should be one object")
                return
            }
            #expect(object.entries.count == DirectoryPaging.singleObjectMaxEntries)

            let root = try await Self.bigTree(reader, names: Self.names(20_000))
            let big = try #require(try await reader.tree(root).lookup(path("/big")))
            #expect(big.sizeBytes == 40_000)
            guard case .paged(let index) = try await reader.directory(big.id) else {
                Issue.record("a directory of 20,000 entries should be paged")
                return
            }
            #expect(index.entryCount == 20_000 && index.sizeBytes == 40_000)
            #expect(index.pages.count > 5 && index.pages.count < 80, "~1,024 entries a page: \(index.pages.count) pages")
            #expect(index.pages.allSatisfy { Int($0.entryCount) <= DirectoryPaging.maxPageEntries })
            // The index round-trips to the same bytes and id, and every page is a stored tree object.
            let bytes = try store.loadNow(big.id)
            #expect(try DirectoryIndex(decoding: bytes).encoded == bytes)
            var all: [TreeObject.Entry] = []
            for number in index.pages.indices { all += try await reader.page(number, of: index).entries }
            #expect(all.map(\.name) == Self.names(20_000))
        }
    }

    /// Page cuts depend on names only: the same entries make the same pages whatever the order of the
    /// changes, and changing files keeps the ids of pages elsewhere in the directory.
    @Test func cutsDependOnNamesSoChangesRewriteFewPages() async throws {
        try await offPool {
            let (store, reader) = memoryTree()
            let names = Self.names(30_000)
            let root = try await Self.bigTree(reader, names: names)
            let reversed = try await TreeBuilder.build(
                base: nil,
                changes: [.put(path("/z"), file: fileID(0), sizeBytes: 1)]
                    + names.enumerated().reversed().map { .put(path("/big/\($0.element)"), file: fileID(UInt64($0.offset)), sizeBytes: 2) },
                reader: reader).root
            #expect(reversed == root)

            store.resetCounts()
            let changed = try await TreeBuilder.build(
                base: root,
                changes: [.put(path("/big/f012345"), file: fileID(99_999), sizeBytes: 7), .delete(path("/big/f020000")),
                          .put(path("/big/f015000x"), file: fileID(1), sizeBytes: 1)],
                reader: reader)
            // At most three changed pages (one per change), the index of /big and the root.
            #expect(changed.objectsStored <= 5, "stored \(changed.objectsStored) objects")
            let tree = reader.tree(changed.root)
            #expect(try await tree.lookup(path("/big/f012345"))?.sizeBytes == 7)
            #expect(try await tree.lookup(path("/big/f020000")) == nil)
            #expect(try await tree.lookup(path("/big/f015000x")) != nil)
            #expect(try await tree.lookup(path("/big"))?.sizeBytes == 60_000 + 5 - 2 + 1)

            // Back to the original contents: back to the original root.
            let restored = try await TreeBuilder.build(
                base: changed.root,
                changes: [.put(path("/big/f012345"), file: fileID(12_345), sizeBytes: 2),
                          .put(path("/big/f020000"), file: fileID(20_000), sizeBytes: 2), .delete(path("/big/f015000x"))],
                reader: reader).root
            #expect(restored == root)
        }
    }

    /// The first page of a listing, a lookup and the first file of a walk each load one page of the big
    /// directory, not all of them; paging through `after` gives every entry once, in order.
    @Test func readsLoadOnlyThePagesTheyNeed() async throws {
        try await offPool {
            let (store, reader) = memoryTree()
            let names = Self.names(50_000)
            let root = try await Self.bigTree(reader, names: names)
            let tree = reader.tree(root)

            store.resetCounts()
            let first = try #require(try await tree.list(path("/big"), limit: 100))
            #expect(first.entries.map { $0.path.name! } == Array(names.prefix(100)))
            #expect(first.next == names[99])
            #expect(store.loads == 3, "root, index, first page: \(store.loads) loads")

            store.resetCounts()
            #expect(try await tree.lookup(path("/big/f031234"))?.id == fileID(31_234))
            #expect(try await tree.lookup(path("/big/f031234x")) == nil)
            #expect(try await tree.lookup(path("/big/a")) == nil, "before the first page")
            #expect(store.loads <= 3 * 3)

            store.resetCounts()
            var iterator = tree.walk(under: path("/big")).makeAsyncIterator()
            #expect(try await iterator.next()?.path == path("/big/f000000"))
            #expect(store.loads <= 4)

            var seen: [String] = []
            var after: String?
            repeat {
                let page = try #require(try await tree.list(path("/big"), after: after, limit: 777))
                seen += page.entries.map { $0.path.name! }
                after = page.next
            } while after != nil
            #expect(seen == names)
            #expect(try await tree.list(path("/big"), after: "f025000y", limit: 2)?.entries.map { $0.path.name! } == ["f025001", "f025002"])
            #expect(try await tree.list(path("/big"), after: names.last!, limit: 2) == TreePage(entries: [], next: nil))
            #expect(try await tree.walk().collect().map(\.path) == names.map { path("/big/\($0)") } + [path("/z")])
        }
    }

    /// A diff of two versions of a big directory loads only the pages that differ.
    @Test func diffSkipsEqualPages() async throws {
        try await offPool {
            let (store, reader) = memoryTree()
            let root = try await Self.bigTree(reader, names: Self.names(40_000))
            let changed = try await build(reader, base: root, puts: [("/big/f000007", 5, 9), ("/big/f039999x", 6, 1)],
                                          deletes: ["/big/f022222"])
            store.resetCounts()
            let changes = try await TreeDiff.diff(old: root, new: changed, reader: reader)
            #expect(changes.map(\.description) == ["~ /big/f000007", "- /big/f022222", "+ /big/f039999x"])
            // Two roots, two indexes and at most three pages on each side.
            #expect(store.loads <= 4 + 6, "\(store.loads) loads")
            #expect(try await TreeDiff.diff(old: changed, new: root, reader: reader).map(\.description)
                    == ["~ /big/f000007", "+ /big/f022222", "- /big/f039999x"])
            // A paged directory against a single-object one, both ways.
            let small = try await build(reader, puts: [("/big/f000001", 1, 2), ("/big/new", 1, 1), ("/z", 0, 1)])
            let forward = try await TreeDiff.diff(old: small, new: root, reader: reader)
            #expect(forward.count == 40_000)
            #expect(forward.filter { if case .deleted = $0 { true } else { false } }.map(\.description) == ["- /big/new"])
        }
    }

    /// GC's mark reaches the index and every page, so a paged directory is never swept.
    @Test func garbageMarkReachesEveryPage() async throws {
        try await offPool {
            let (store, reader) = memoryTree()
            var builder = TreeBuilder(base: nil, reader: reader)
            for (number, name) in Self.names(9_000).enumerated() {
                let object = FileObject(pieces: [FileObject.Piece(chunk: fileID(UInt64(number)), sizeBytes: 1)])
                try await builder.apply(.put(path("/d/\(name)"), file: store.storeNow(object.encoded), sizeBytes: 1))
            }
            let root = try await builder.finish().root!
            let marked = try await GarbageMarker.mark(treeRoots: [root], staged: [], reader: reader)
            #expect(Set(store.ids).isSubset(of: marked), "every stored object (tree, index, pages, file objects) is marked")
            #expect(marked.count == store.count + 9_000)
        }
    }

    @Test func indexDecodingRefusesWhatNoBuilderWrites() throws {
        let page = DirectoryIndex.Page(firstName: "a", id: fileID(1), entryCount: 3_000, sizeBytes: 1)
        let second = DirectoryIndex.Page(firstName: "b", id: fileID(2), entryCount: 3_000, sizeBytes: 1)
        let good = DirectoryIndex(trusted: [page, second]).encoded
        #expect(try DirectoryIndex(decoding: good).pages == [page, second])
        let cases: [(String, [UInt8])] = [
            ("one page", DirectoryIndex(trusted: [page]).encoded),
            ("unsorted", DirectoryIndex(trusted: [second, page]).encoded),
            ("repeated", DirectoryIndex(trusted: [page, page]).encoded),
            ("small enough for one object", DirectoryIndex(trusted: [page, DirectoryIndex.Page(firstName: "b", id: fileID(2), entryCount: 1, sizeBytes: 1)]).encoded),
            ("empty page", DirectoryIndex(trusted: [page, DirectoryIndex.Page(firstName: "b", id: fileID(2), entryCount: 0, sizeBytes: 1)]).encoded),
            ("bad name", DirectoryIndex(trusted: [page, DirectoryIndex.Page(firstName: "b/c", id: fileID(2), entryCount: 3_000, sizeBytes: 1)]).encoded),
            ("overflow", DirectoryIndex(trusted: [page, DirectoryIndex.Page(firstName: "b", id: fileID(2), entryCount: 3_000, sizeBytes: .max)]).encoded),
            ("trailing byte", good + [0]),
            ("version 2", Array(good[0..<3]) + [2] + Array(good[4...])),
        ]
        for (why, bytes) in cases {
            #expect(throws: PFSError.self, "\(why)") { try DirectoryIndex(decoding: bytes) }
        }
        for cut in 0..<good.count {
            #expect(throws: PFSError.self, "truncated at \(cut)") { try DirectoryIndex(decoding: Array(good[0..<cut])) }
        }
    }

    /// An index whose lines do not match its pages (a hostile or buggy writer) is refused when the page
    /// is read: nothing it does not describe is served.
    @Test func pagesAreCheckedAgainstTheirIndexLines() async throws {
        try await offPool {
            let (store, reader) = memoryTree()
            let root = try await Self.bigTree(reader, names: Self.names(10_000))
            let big = try #require(try await reader.tree(root).lookup(path("/big")))
            guard case .paged(let index) = try await reader.directory(big.id) else {
                Issue.record("expected a paged directory")
                return
            }
            func tampered(_ change: (inout [DirectoryIndex.Page]) -> Void) async -> String? {
                var pages = index.pages
                change(&pages)
                let id = store.storeNow(DirectoryIndex(trusted: pages).encoded)
                return await message { _ = try await reader.entries(of: try await reader.directory(id)) }
            }
            #expect(await tampered { $0[0].entryCount += 1 }?.contains("does not match its index line") == true)
            #expect(await tampered { $0[1].sizeBytes += 1 }?.contains("does not match its index line") == true)
            #expect(await tampered { $0.swapAt(0, 1); $0[0].firstName = "a"; $0[1].firstName = "b" } != nil)
            #expect(await tampered { $0[1].firstName = "f000000x" } != nil, "a page that runs into the next")
            // A page id that names an index, not a page.
            #expect(await tampered { $0[0].id = big.id }?.contains("directory index where a page was expected") == true)
        }
    }

    @Test func pageCutsAreStable() {
        // Fixed forever: stored directories' ids depend on these cuts.
        let cuts = Self.names(100_000).filter(DirectoryPaging.endsPage)
        #expect(cuts.count > 60 && cuts.count < 140, "\(cuts.count) boundary names in 100,000")
        #expect(DirectoryPaging.pages(Self.names(100_000).map { .init(name: $0, kind: .file, id: fileID(0), sizeBytes: 0) }).count
                == cuts.count + (DirectoryPaging.endsPage(Self.names(100_000).last!) ? 0 : 1))
    }
}

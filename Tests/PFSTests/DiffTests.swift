import Replication
import Testing
@testable import PFS

@Suite struct DiffTests {
    @Test func addedDeletedModifiedInPathOrder() async throws {
        let (_, reader) = memoryTree()
        let old = try await build(reader, puts: [("/a/b", 1, 1), ("/a/c", 2, 2), ("/d", 3, 3), ("/k/x", 4, 4)])
        let new = try await build(reader, base: old, puts: [("/a/b", 9, 9), ("/e/f", 5, 5), ("/k/y", 6, 6)], deletes: ["/d"])
        let changes = try await TreeDiff.diff(old: old, new: new, reader: reader)
        #expect(changes.map(\.description) == ["~ /a/b", "- /d", "+ /e/f", "+ /k/y"])
        guard case .modified(_, let before, let after) = changes[0] else { Issue.record("not modified"); return }
        #expect(before.id == fileID(1) && after.id == fileID(9) && after.sizeBytes == 9)
        let reverse = try await TreeDiff.diff(old: new, new: old, reader: reader)
        #expect(reverse.map(\.description) == ["~ /a/b", "+ /d", "- /e/f", "- /k/y"])
    }

    @Test func emptyTreesAndSubpaths() async throws {
        let (_, reader) = memoryTree()
        let tree = try await build(reader, puts: [("/a/b", 1, 1), ("/c", 2, 2)])
        #expect(try await TreeDiff.diff(old: nil, new: nil, reader: reader).isEmpty)
        #expect(try await TreeDiff.diff(old: tree, new: tree, reader: reader).isEmpty)
        #expect(try await TreeDiff.diff(old: nil, new: tree, reader: reader).map(\.description) == ["+ /a/b", "+ /c"])
        #expect(try await TreeDiff.diff(old: tree, new: nil, reader: reader).map(\.description) == ["- /a/b", "- /c"])
        let changed = try await build(reader, base: tree, puts: [("/c", 3, 3), ("/a/z", 4, 4)])
        #expect(try await TreeDiff.diff(old: tree, new: changed, under: path("/a"), reader: reader).map(\.description) == ["+ /a/z"])
        #expect(try await TreeDiff.diff(old: tree, new: changed, under: path("/c"), reader: reader).map(\.description) == ["~ /c"])
    }

    /// A path that turns from a file into a directory: the file goes first, then the directory's files.
    @Test func kindChanges() async throws {
        let (_, reader) = memoryTree()
        let old = try await build(reader, puts: [("/a", 1, 1), ("/b/x", 2, 2), ("/b/y/z", 3, 3)])
        let replaced = try await TreeDiff.diff(
            old: old,
            new: try await build(reader, puts: [("/a/p", 4, 4), ("/a/q/r", 6, 6), ("/b", 5, 5)]),
            reader: reader)
        #expect(replaced.map(\.description) == ["- /a", "+ /a/p", "+ /a/q/r", "+ /b", "- /b/x", "- /b/y/z"])
    }

    /// Identical subtrees are skipped without being loaded: changing one file in a tree of a thousand
    /// loads the objects on its path in both trees and nothing else.
    @Test func identicalSubtreesAreNotRead() async throws {
        let (store, reader) = memoryTree()
        var files: [(String, UInt64, UInt64)] = []
        for top in 0..<10 { for middle in 0..<10 { for leaf in 0..<10 { files.append(("/\(top)/\(middle)/\(leaf)", UInt64(files.count), 1)) } } }
        let old = try await build(reader, puts: files)
        let new = try await build(reader, base: old, puts: [("/4/5/6", 5_000, 2)])
        store.resetCounts()
        let changes = try await TreeDiff.diff(old: old, new: new, reader: reader)
        #expect(changes.map(\.description) == ["~ /4/5/6"])
        #expect(store.loads == 6, "/, /4, /4/5 in each tree")
    }
}

import Replication
import Testing
@testable import PFS

/// The staged trie against the plain history of writes. Random puts, deletes and directory copies over
/// a small name space are validated the way a proposer does (`CommitView.obstacle`) against a random
/// parent tree, and the accepted ones go both into a `StagedTree` and into an ordered list. After every
/// step: replaying the ordered list over the parent must succeed (validation is sound) and give the same
/// root as building from the trie (`changes`, in pre-order); `CommitView.lookup` must agree with the
/// built tree (except its one documented conservative case); and the trie must survive its byte format.
@Suite struct StagedTreeModelTests {
    static let names = ["a", "b", "c"]
    static let steps = 40

    @Test(arguments: TreeSeeds.ci(40))
    func trieMatchesTheOrderedWrites(seed: UInt64) async throws {
        try await offPool { try await Self.run(seed: seed) }
    }

    static func randomPath(_ random: inout TestRandom, depthMax: Int = 3) -> PFSPath {
        let depth = Int.random(in: 1...depthMax, using: &random)
        return try! PFSPath(components: (0..<depth).map { _ in names.randomElement(using: &random)! })
    }

    static func run(seed: UInt64) async throws {
        var random = TestRandom(seed: seed)
        let (_, reader) = memoryTree()
        let parentFiles = (0..<Int.random(in: 0...6, using: &random)).map { n in
            (randomPath(&random).description, UInt64(n), UInt64(n + 1))
        }
        // Keep only the puts that build (later paths may cross earlier files).
        var parentBuilder = TreeBuilder(base: nil, reader: reader)
        for (text, n, size) in parentFiles {
            try? await parentBuilder.apply(.put(path(text), file: fileID(n), sizeBytes: size))
        }
        let parentRoot = try await parentBuilder.finish().root
        let graftRoot = try await build(reader, puts: [("/x", 90, 5), ("/y/z", 91, 6)])!

        var view = CommitView(parentRoot: parentRoot, staged: StagedTree(), reader: reader)
        var ordered: [StagedChange] = []
        let commit = cid(1)
        var accepted = 0
        var conservative = 0
        for step in 0..<steps {
            let context = "PFS_SEED=\(seed) step \(step)"
            let target = randomPath(&random)
            let roll = Int.random(in: 0..<100, using: &random)
            var writes: [StagedTree.Write] = []
            var changes: [StagedChange] = []
            if roll < 55 {
                let id = fileID(UInt64(100 + step))
                if try await view.obstacle(toPutAt: target) != nil { continue }
                writes = [.put(target, .file(id, sizeBytes: UInt64(step)))]
                changes = [.put(target, file: id, sizeBytes: UInt64(step))]
            } else if roll < 85 {
                let victim = roll < 60 ? PFSPath.root : target
                writes = [.delete(victim)]
                changes = [.delete(victim)]
            } else {
                var probe = view
                try probe.staged.apply([.delete(target)], basedOn: probe.staged.version, guards: [], commit: commit, pathsMax: .max)
                if try await probe.obstacle(toPutAt: target, asDirectory: true) != nil { continue }
                writes = [.delete(target), .put(target, .directory(graftRoot, sizeBytes: 11))]
                changes = [.delete(target), .graft(target, tree: graftRoot, sizeBytes: 11)]
            }
            for write in writes {
                try view.staged.apply([write], basedOn: view.staged.version, guards: [], commit: commit, pathsMax: .max)
            }
            ordered += changes
            accepted += 1

            let fromList = try await TreeBuilder.build(base: parentRoot, changes: ordered, reader: reader)
            let fromTrie = try await TreeBuilder.build(base: parentRoot, changes: view.staged.changes, reader: reader)
            #expect(fromList.root == fromTrie.root && fromList.sizeBytes == fromTrie.sizeBytes, "\(context): \(ordered)")

            let tree = reader.tree(fromList.root)
            for probe in (0..<6).map({ _ in randomPath(&random) }) {
                let seen = try await view.lookup(probe)
                let truth = try await tree.lookup(probe)
                switch (seen, truth) {
                case (.file(let id, let size)?, let entry?) where entry.kind == .file:
                    #expect(id == entry.id && size == entry.sizeBytes, "\(context): \(probe)")
                case (.directory?, let entry?) where entry.kind == .directory:
                    break
                case (nil, nil):
                    break
                case (.directory?, nil):
                    conservative += 1  // a parent directory emptied one entry at a time
                default:
                    Issue.record("\(context): view says \(String(describing: seen)) at \(probe), the tree \(String(describing: truth))")
                }
            }
            var writer = BinaryWriter()
            writer.write(view.staged)
            var decoder = BinaryReader(writer.bytes)
            #expect(try decoder.readStagedTree() == view.staged, "\(context): the byte format lost something")
        }
        #expect(accepted > steps / 3, "PFS_SEED=\(seed): only \(accepted) writes accepted")
        _ = conservative
    }
}

@Suite struct StagedTreeTests {
    static let commit = cid(1)

    static func staged(_ writes: [StagedTree.Write], basedOn: UInt64? = nil, into tree: inout StagedTree) throws(PFSError) {
        try tree.apply(writes, basedOn: basedOn ?? tree.version, guards: [], commit: commit, pathsMax: 1_000)
    }

    @Test func changesSinceAVersionAreScopedToThePathItsAncestorsAndItsSubtree() throws {
        var tree = StagedTree()
        try Self.staged([.put(path("/a/b"), .file(fileID(1), sizeBytes: 1))], into: &tree)  // version 1
        try Self.staged([.put(path("/z"), .file(fileID(2), sizeBytes: 1))], into: &tree)  // version 2
        #expect(tree.changed(path("/a/b/c"), since: 0) == path("/a/b"), "a write at an exact ancestor")
        #expect(tree.changed(path("/a"), since: 0) == path("/a"), "a write below")
        #expect(tree.changed(path("/a/b"), since: 1) == nil)
        #expect(tree.changed(path("/a/x"), since: 0) == nil, "a sibling is unrelated")
        #expect(tree.changed(path("/z"), since: 1) == path("/z"))
        #expect(tree.changed(.root, since: 1) == .root, "the root's subtree holds everything")
        try Self.staged([.delete(path("/a"))], into: &tree)  // version 3
        #expect(tree.changed(path("/a/x/y"), since: 2) == path("/a"), "a delete above covers everything below it")
    }

    @Test func aConflictingBatchChangesNothing() throws {
        var tree = StagedTree()
        try Self.staged([.put(path("/a"), .file(fileID(1), sizeBytes: 1))], into: &tree)
        let before = tree
        #expect(throws: PFSError.stagedConflict(Self.commit, path: "/a")) {
            try Self.staged([.put(path("/q"), .file(fileID(2), sizeBytes: 1)), .put(path("/a"), .file(fileID(3), sizeBytes: 1))],
                            basedOn: 0, into: &tree)
        }
        #expect(tree == before)
        // The second write of a batch contradicts the first: the whole batch is refused.
        #expect(throws: PFSError.self) {
            try Self.staged([.put(path("/q"), .file(fileID(2), sizeBytes: 1)), .put(path("/a/b"), .file(fileID(3), sizeBytes: 1))],
                            into: &tree)
        }
        #expect(tree == before, "a refused batch leaves nothing behind")
    }

    @Test func writesThatContradictTheStagedStateAreRefused() throws {
        var tree = StagedTree()
        try Self.staged([.put(path("/a/b"), .file(fileID(1), sizeBytes: 1))], into: &tree)
        #expect(throws: PFSError.invalidArgument("'/a' is a directory in the open commit; delete it before putting over it")) {
            try Self.staged([.put(path("/a"), .file(fileID(2), sizeBytes: 1))], into: &tree)
        }
        #expect(throws: PFSError.invalidArgument("'/a/b' is a file in the open commit; cannot put '/a/b/c' under it")) {
            try Self.staged([.put(path("/a/b/c"), .file(fileID(2), sizeBytes: 1))], into: &tree)
        }
        // A delete below a staged file deletes nothing and records nothing.
        let before = tree
        try Self.staged([.delete(path("/a/b/c"))], into: &tree)
        #expect(tree.changes == before.changes)
    }

    @Test func rewritesKeepOnePathAndTheLimitCountsPaths() throws {
        var tree = StagedTree()
        for n in UInt64(1)...10 { try Self.staged([.put(path("/f"), .file(fileID(n), sizeBytes: n))], into: &tree) }
        #expect(tree.pathCount == 2 && tree.contentCount == 1 && tree.version == 10)
        #expect(tree.changes == [.put(path("/f"), file: fileID(10), sizeBytes: 10)])
        var small = StagedTree()
        #expect(throws: PFSError.self) {
            try small.apply([.put(path("/a/b/c"), .file(fileID(1), sizeBytes: 1))], basedOn: 0, guards: [], commit: Self.commit,
                            pathsMax: 2)
        }
        #expect(small.isEmpty && small.version == 0)
    }

    @Test func aDeleteOfTheRootStartsOver() throws {
        var tree = StagedTree()
        try Self.staged([.put(path("/a/b"), .file(fileID(1), sizeBytes: 1)), .put(path("/c"), .file(fileID(2), sizeBytes: 2))], into: &tree)
        try Self.staged([.delete(.root)], into: &tree)
        try Self.staged([.put(path("/d"), .file(fileID(3), sizeBytes: 3))], into: &tree)
        #expect(tree.changes == [.delete(.root), .put(path("/d"), file: fileID(3), sizeBytes: 3)])
        #expect(tree.contentIDs == [fileID(3)])
    }

    @Test func corruptImagesAreRefused() throws {
        var tree = StagedTree()
        try Self.staged([.put(path("/a/b"), .file(fileID(1), sizeBytes: 1)), .delete(path("/c"))], into: &tree)
        var writer = BinaryWriter()
        writer.write(tree)
        let bytes = writer.bytes
        for length in 0..<bytes.count {
            var reader = BinaryReader(Array(bytes.prefix(length)))
            #expect(throws: PFSError.self) { try reader.readStagedTree() }
        }
        // A version past the tree's own: refused, not trusted.
        var bad = bytes
        bad[0] = 0
        var reader = BinaryReader(bad)
        #expect(throws: PFSError.self) { try reader.readStagedTree() }
    }
}

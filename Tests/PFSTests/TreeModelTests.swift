import Replication
import Testing
@testable import PFS

/// The tree against a plain dictionary of files. Random puts and deletes over a small name space (so
/// paths collide: files land where directories are and the other way round) go to both, commit after
/// commit; after each commit every read, the diff and glob must agree with the model, and the store
/// work must be bounded by the changes.
@Suite struct TreeModelTests {
    typealias Model = [PFSPath: (id: ChunkID, sizeBytes: UInt64)]

    static let commits = 12
    static let changesMax = 30
    /// Names chosen to collide and to sort by bytes unlike by characters: `a-` sorts after `a/…`,
    /// precomposed and decomposed `é` are different names.
    static let names = ["a", "b", "a-", "B", "é", "e\u{301}"]

    @Test(arguments: TreeSeeds.ci(12))
    func treeMatchesModel(seed: UInt64) async throws {
        try await offPool { try await Self.run(seed: seed) }
    }

    static func run(seed: UInt64) async throws {
        var random = TestRandom(seed: seed)
        let store = MemoryTreeObjectStore()
        let reader = TreeReader(store: store)
        var model: Model = [:]
        var root: ChunkID?
        var nextFile: UInt64 = 0
        var refusals = 0
        var globMatches = 0
        for commit in 0..<commits {
            let context = "PFS_SEED=\(seed) commit \(commit)"
            let before = model
            let previousRoot = root
            store.resetCounts()
            var builder = TreeBuilder(base: root, reader: reader)
            var applied: [StagedChange] = []
            var maxDepth = 0
            let attempts = Int.random(in: 1...changesMax, using: &random)
            for _ in 0..<attempts {
                let change = randomChange(&random, model: model, nextFile: &nextFile)
                maxDepth = max(maxDepth, change.path.depth)
                let expectedError = Self.apply(change, to: &model)
                do {
                    try await builder.apply(change)
                    #expect(expectedError == nil, "\(context): \(change) applied but the model refuses: \(expectedError ?? "")")
                    applied.append(change)
                } catch {
                    refusals += 1
                    #expect(expectedError != nil, "\(context): \(change) refused (\(error)) but the model applies it")
                    if let expectedError { #expect("\(error)".contains(expectedError), "\(context): \(error) vs \(expectedError)") }
                }
            }
            let result = try await builder.finish()
            root = result.root
            #expect(result.sizeBytes == model.values.reduce(0) { $0 + $1.sizeBytes }, "\(context): result size")
            #expect(result.objectsStored == store.stores, "\(context): objects stored")
            // Work is proportional to the changes, not to the tree: each change (refused ones too, which
            // load what they check) touches at most the directories on its path.
            #expect(store.newStores <= applied.count * (maxDepth + 1), "\(context): \(store.newStores) stores for \(applied.count) changes")
            #expect(store.loads <= attempts * maxDepth + 1, "\(context): \(store.loads) loads for \(attempts) changes")

            try await checkTree(root, equals: model, reader: reader, context: context)
            let diff = try await TreeDiff.diff(old: previousRoot, new: root, reader: reader)
            #expect(diff == modelDiff(old: before, new: model), "\(context): diff")
            globMatches += try await checkGlobs(root, model: model, reader: reader, random: &random, context: context)
            try await checkDeterminism(root, model: model, reader: reader, random: &random, context: context)
        }
        // The generator must reach the interesting paths: refusals and globs that match something.
        #expect(refusals > 0 && globMatches > 0, "PFS_SEED=\(seed): \(refusals) refusals, \(globMatches) glob matches")
    }

    // MARK: The model

    /// Applies `change` to the model the way PFS must; returns the text the tree's error must contain
    /// when the change is refused (then the model is unchanged).
    static func apply(_ change: StagedChange, to model: inout Model) -> String? {
        switch change {
        case .put(let target, let id, let size):
            if target.isRoot { return "root" }
            var ancestor = target.parent
            while let directory = ancestor, !directory.isRoot {
                if model[directory] != nil { return "'\(directory)' is a file, cannot put '\(target)' under it" }
                ancestor = directory.parent
            }
            if model.keys.contains(where: { target.isAncestor(of: $0) }) { return "'\(target)' is a directory" }
            model[target] = (id, size)
        case .delete(let target):
            model = model.filter { $0.key != target && !target.isAncestor(of: $0.key) }
        case .graft:
            preconditionFailure("the model generates no grafts (StagedTreeTests cover them)")
        }
        return nil
    }

    static func modelDiff(old: Model, new: Model) -> [TreeDiff.Change] {
        let paths = Set(old.keys).union(new.keys).sorted()
        return paths.compactMap { path in
            let entry = { (file: (id: ChunkID, sizeBytes: UInt64)) in TreeEntry(path: path, kind: .file, id: file.id, sizeBytes: file.sizeBytes) }
            switch (old[path], new[path]) {
            case (nil, let added?): return .added(path, entry(added))
            case (let deleted?, nil): return .deleted(path, entry(deleted))
            case (let before?, let after?) where before != after: return .modified(path, old: entry(before), new: entry(after))
            default: return nil
            }
        }
    }

    /// Every directory of the model (each proper ancestor of a file, but not the root) with its size.
    static func directories(of model: Model) -> [PFSPath: UInt64] {
        var result: [PFSPath: UInt64] = [:]
        for (file, value) in model {
            var ancestor = file.parent
            while let directory = ancestor, !directory.isRoot {
                result[directory, default: 0] += value.sizeBytes
                ancestor = directory.parent
            }
        }
        return result
    }

    static func randomChange(_ random: inout TestRandom, model: Model, nextFile: inout UInt64) -> StagedChange {
        let roll = Int.random(in: 0..<100, using: &random)
        if roll < 25 {
            // Delete something that exists (a file or one of its ancestors), or a random path.
            if let file = model.keys.sorted().randomElement(using: &random), roll < 20 {
                let keep = Int.random(in: 0...file.depth, using: &random)
                return .delete(PFSPath(trusted: Array(file.components.prefix(keep))))
            }
            return .delete(randomPath(&random))
        }
        nextFile += 1
        let id = roll < 35 ? fileID(nextFile % 3) : fileID(nextFile)  // repeated ids: equal subtrees
        return .put(randomPath(&random), file: id, sizeBytes: UInt64.random(in: 0...1_000, using: &random))
    }

    static func randomPath(_ random: inout TestRandom) -> PFSPath {
        let depth = Int.random(in: 1...4, using: &random)
        return PFSPath(trusted: (0..<depth).map { _ in names.randomElement(using: &random)! })
    }

    // MARK: Checks

    static func checkTree(_ root: ChunkID?, equals model: Model, reader: TreeReader, context: String) async throws {
        let tree = reader.tree(root)
        #expect((root == nil) == model.isEmpty, "\(context): nil root exactly for the empty tree")
        let files = try await tree.walk().collect()
        let expected = model.keys.sorted().map { TreeEntry(path: $0, kind: .file, id: model[$0]!.id, sizeBytes: model[$0]!.sizeBytes) }
        #expect(files == expected, "\(context): walk")

        // Directories: exactly the model's, with summed sizes; so none is empty.
        let everything = try await tree.everything()
        #expect(everything.map(\.path) == everything.map(\.path).sorted(), "\(context): path order")
        let directories = directories(of: model)
        let found = everything.filter(\.isDirectory)
        #expect(found.count == directories.count, "\(context): directories \(found.map(\.path)) vs \(directories.keys.sorted())")
        for directory in found {
            #expect(directories[directory.path] == directory.sizeBytes, "\(context): size of \(directory.path)")
        }
        #expect(try await tree.size(of: .root) == model.values.reduce(0) { $0 + $1.sizeBytes }, "\(context): root size")

        // Lookups and paged lists of every directory.
        for entry in everything.prefix(40) {
            #expect(try await tree.lookup(entry.path) == entry, "\(context): lookup \(entry.path)")
        }
        for directory in [PFSPath.root] + found.map(\.path) {
            var listed: [TreeEntry] = []
            var after: String?
            repeat {
                let page = try #require(try await tree.list(directory, after: after, limit: 2))
                listed += page.entries
                after = page.next
            } while after != nil
            let children = everything.filter { $0.path.parent == directory }
            #expect(listed == children, "\(context): list \(directory)")
        }
    }

    static func checkGlobs(_ root: ChunkID?, model: Model, reader: TreeReader, random: inout TestRandom,
                           context: String) async throws -> Int {
        let tree = reader.tree(root)
        var total = 0
        var candidates = model.keys.map { $0 } + directories(of: model).keys
        if root != nil { candidates.append(.root) }
        candidates.sort()
        for pattern in ["/", "/*", "/*/*", "/**", "/a/**", "/{a,é}/*"] + (0..<8).map({ _ in RandomGlob.pattern(&random) }) {
            let glob = try Glob(pattern)
            let matched = try await tree.glob(glob).collect().map(\.path)
            let expected = candidates.filter { ReferenceGlob.matches(glob.pattern, $0) }
            #expect(matched == expected, "\(context): glob \(pattern)")
            total += matched.count
        }
        return total
    }

    /// The same contents reached another way (from scratch, in a shuffled order, in several commits,
    /// with detours that are undone) give the same root id.
    static func checkDeterminism(_ root: ChunkID?, model: Model, reader: TreeReader, random: inout TestRandom,
                                 context: String) async throws {
        var puts = model.map { StagedChange.put($0.key, file: $0.value.id, sizeBytes: $0.value.sizeBytes) }
        puts.shuffle(using: &random)
        #expect(try await TreeBuilder.build(base: nil, changes: puts, reader: reader).root == root, "\(context): from scratch")

        let split = puts.count / 2
        let detour = StagedChange.put(try PFSPath("/detour/x"), file: fileID(7), sizeBytes: 7)
        let first = try await TreeBuilder.build(base: nil, changes: puts[..<split] + [detour], reader: reader).root
        let second = try await TreeBuilder.build(base: first, changes: [.delete(try PFSPath("/detour"))] + puts[split...], reader: reader).root
        #expect(second == root, "\(context): in two commits")
    }
}

import PFS
import Replication
import Testing
@testable import Jobs

@Suite struct DatumTests {
    /// A tree of `paths` (each a file whose id and size come from `version`), in a fresh memory store.
    static func tree(_ paths: [String], version: UInt64 = 0) async throws -> FileTree {
        let store = MemoryTreeObjectStore()
        let reader = TreeReader(store: store)
        let changes = try paths.enumerated().map { index, path throws(PFSError) in
            StagedChange.put(try PFSPath(path), file: ChunkID(of: Array("\(path)#\(version)".utf8)), sizeBytes: UInt64(index + 1))
        }
        return reader.tree(try await TreeBuilder.build(base: nil, changes: changes, reader: reader).root)
    }

    static func pfs(_ name: String, _ glob: String) throws -> PipelineSpec.Input {
        .pfs(.init(name: name, repo: try RepoName(name), glob: try Glob(glob)))
    }

    static func shown(_ datums: [Datum]) -> [String] { datums.map(\.description) }

    @Test func globsCutOneTreeIntoDatums() async throws {
        let images = try await Self.tree(["/a/1", "/a/2", "/b/3", "/c"])
        let trees = ["images": images]
        func datums(_ glob: String) async throws -> [String] {
            Self.shown(try await DatumEnumerator.datums(of: try Self.pfs("images", glob), trees: trees))
        }
        #expect(try await datums("/") == ["images:/"])
        #expect(try await datums("/*") == ["images:/a", "images:/b", "images:/c"])
        #expect(try await datums("/*/*") == ["images:/a/1", "images:/a/2", "images:/b/3"])
        #expect(try await datums("/a/*") == ["images:/a/1", "images:/a/2"])
        #expect(try await datums("/{a,c}") == ["images:/a", "images:/c"])
        #expect(try await datums("/nothing/*").isEmpty)
        let root = try await DatumEnumerator.datums(of: try Self.pfs("images", "/"), trees: trees)
        #expect(root.first?.sizeBytes == 1 + 2 + 3 + 4, "the root datum holds the whole tree")
    }

    @Test func crossIsEveryCombinationAndUnionOneAfterTheOther() async throws {
        let trees = ["left": try await Self.tree(["/x", "/y"]), "right": try await Self.tree(["/d/1", "/d/2", "/e/3"]),
                     "empty": try await Self.tree([])]
        let left = try Self.pfs("left", "/*")
        let right = try Self.pfs("right", "/*/*")
        #expect(Self.shown(try await DatumEnumerator.datums(of: .cross([left, right]), trees: trees)) == [
            "left:/x, right:/d/1", "left:/x, right:/d/2", "left:/x, right:/e/3",
            "left:/y, right:/d/1", "left:/y, right:/d/2", "left:/y, right:/e/3",
        ])
        #expect(Self.shown(try await DatumEnumerator.datums(of: .union([left, right]), trees: trees)) == [
            "left:/x", "left:/y", "right:/d/1", "right:/d/2", "right:/e/3",
        ])
        // An empty input empties a cross; a union just skips it; the empty tree has no `/` datum.
        #expect(try await DatumEnumerator.datums(of: .cross([left, try Self.pfs("empty", "/")]), trees: trees).isEmpty)
        #expect(try await DatumEnumerator.datums(of: .union([try Self.pfs("empty", "/*"), left]), trees: trees).count == 2)
        // Nested: cross(left, union(right, left-again)).
        let nested = PipelineSpec.Input.cross([left, .union([right, try Self.pfs("empty", "/")])])
        #expect(try await DatumEnumerator.datums(of: nested, trees: trees).count == 2 * 3)
        await #expect(throws: PFSError.self) { _ = try await DatumEnumerator.datums(of: try Self.pfs("missing", "/"), trees: trees) }
    }

    @Test func hashesChangeWithContentPathSaltAndPipeline() async throws {
        let before = try await DatumEnumerator.datums(of: try Self.pfs("in", "/*"), trees: ["in": try await Self.tree(["/a", "/b"])])
        let same = try await DatumEnumerator.datums(of: try Self.pfs("in", "/*"), trees: ["in": try await Self.tree(["/a", "/b"])])
        let changed = try await DatumEnumerator.datums(of: try Self.pfs("in", "/*"),
                                                       trees: ["in": try await Self.tree(["/a", "/b"], version: 1)])
        let pipeline = try RepoName("p")
        let hashes = before.map { $0.hash(pipeline: pipeline, salt: "s") }
        #expect(hashes == same.map { $0.hash(pipeline: pipeline, salt: "s") }, "same code, same bytes: same hash")
        #expect(Set(hashes).count == 2, "two paths, two hashes")
        #expect(hashes[0] != changed[0].hash(pipeline: pipeline, salt: "s"), "a changed file is processed again")
        #expect(hashes[0] != before[0].hash(pipeline: pipeline, salt: "t"), "--reprocess changes the salt")
        #expect(hashes[0] != before[0].hash(pipeline: try RepoName("q"), salt: "s"))
        var renamed = before[0]
        renamed.parts[0].input = "other"
        #expect(hashes[0] != renamed.hash(pipeline: pipeline, salt: "s"), "the input name is part of the datum")
    }
}

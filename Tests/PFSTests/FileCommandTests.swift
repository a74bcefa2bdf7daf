import Replication
import Testing
@testable import PFS

/// The file commands of the state machine: staging into open commits, finishing from a staged version,
/// and one-step commits on a branch head.
@Suite struct FileCommandTests {
    static func put(_ text: String, _ n: UInt64) -> StagedTree.Write {
        .put(path(text), .file(fileID(n), sizeBytes: n))
    }

    @Test func stagedWritesAccumulateUntilTheFinishThatWasBuiltFromThem() throws {
        var fixture = Fixture()
        fixture.createRepo("images")
        let open = fixture.start("images")
        let ref = ref("images@master")
        guard case .commit(let staged) = fixture.run(.stageFiles(ref, basedOn: 0, writes: [Self.put("/a", 1)], guards: [])) else {
            Issue.record("stage refused")
            return
        }
        #expect(staged.stagedVersion == 1 && staged.stagedPaths == 2)
        _ = fixture.run(.stageFiles(ref, basedOn: 1, writes: [Self.put("/b/c", 2)], guards: []))
        // A finish built from version 1 misses /b/c: refused, so that no staged write is ever dropped.
        fixture.expectFailure(.finishCommit(ref, finishedAtNanos: 9, sizeBytes: 1, rootTreeID: "t1", stagedVersion: 1),
                              .commitChanged(open.id, expected: 1, actual: 2))
        let finished = fixture.run(.finishCommit(ref, finishedAtNanos: 9, sizeBytes: 3, rootTreeID: "t2", stagedVersion: 2,
                                                 description: "two files"))
        guard case .commit(let info) = finished else {
            Issue.record("finish refused: \(finished)")
            return
        }
        #expect(info.isFinished && info.rootTreeID == "t2" && info.sizeBytes == 3 && info.description == "two files")
        #expect(info.stagedPaths == 0 && fixture.state.invariantViolation() == nil)
        fixture.expectFailure(.stageFiles(ref, basedOn: 0, writes: [Self.put("/c", 3)], guards: []), .commitFinished(open.id))
    }

    @Test func writesPreparedOnAnOlderViewConflictOnlyOnRelatedPaths() throws {
        var fixture = Fixture()
        fixture.createRepo("images")
        let open = fixture.start("images")
        let ref = ref("images@\(open.id)")
        _ = fixture.run(.stageFiles(ref, basedOn: 0, writes: [Self.put("/dir/x", 1)], guards: []))
        // Prepared before /dir/x was staged: a sibling elsewhere is fine, a write under /dir or over it is not.
        guard case .commit = fixture.run(.stageFiles(ref, basedOn: 0, writes: [Self.put("/other", 2)], guards: [])) else {
            Issue.record("an unrelated write conflicted")
            return
        }
        fixture.expectFailure(.stageFiles(ref, basedOn: 0, writes: [Self.put("/dir", 3)], guards: []),
                              .stagedConflict(open.id, path: "/dir"))
        fixture.expectFailure(.stageFiles(ref, basedOn: 0, writes: [Self.put("/q", 3)], guards: [path("/dir")]),
                              .stagedConflict(open.id, path: "/dir"))
        fixture.expectFailure(.stageFiles(ref, basedOn: 9, writes: [Self.put("/q", 3)], guards: []),
                              .malformed("a stage command based on version 9 of commit \(open.id), which is at 2"))
    }

    @Test func tooManyWritesInOneCommandAreRefused() throws {
        var fixture = Fixture()
        fixture.createRepo("images")
        fixture.start("images")
        let writes = (0...MetadataLimits.stageWritesMax).map { Self.put("/f\($0)", 1) }
        let result = fixture.run(.stageFiles(ref("images@master"), basedOn: 0, writes: writes, guards: []))
        guard case .failed(.limitExceeded) = result else {
            Issue.record("expected limitExceeded, got \(result)")
            return
        }
    }

    @Test func commitFilesMakesAFinishedCommitOnTheHeadItWasBuiltOn() throws {
        var fixture = Fixture()
        fixture.createRepo("images")
        let branchKey = key("images", "master")
        let first = fixture.run(.commitFiles(branchKey, parent: nil, id: cid(50), startedAtNanos: 10, finishedAtNanos: 5,
                                             sizeBytes: 4, rootTreeID: "r1", description: "first"))
        guard case .commit(let info) = first else {
            Issue.record("commitFiles refused: \(first)")
            return
        }
        #expect(info.isFinished && info.finishedAtNanos == 10 && info.parent == nil && info.description == "first")
        #expect(fixture.branchInfo("images", "master").head == cid(50))
        // Built on no head, but the head is cid(50) now.
        fixture.expectFailure(.commitFiles(branchKey, parent: nil, id: cid(51), startedAtNanos: 11, finishedAtNanos: 11,
                                           sizeBytes: 4, rootTreeID: "r2", description: ""),
                              .branchHeadMoved(branchKey, expected: nil, actual: cid(50)))
        let open = fixture.start("images")
        fixture.expectFailure(.commitFiles(branchKey, parent: open.id, id: cid(52), startedAtNanos: 11, finishedAtNanos: 11,
                                           sizeBytes: 4, rootTreeID: "r2", description: ""),
                              .branchHasOpenCommit(branchKey, open.id))
        #expect(fixture.state.invariantViolation() == nil)
    }

    @Test func snapshotsKeepStagedWritesAndDescriptions() throws {
        var fixture = Fixture()
        fixture.createRepo("images")
        let open = fixture.start("images")
        _ = fixture.run(.stageFiles(ref("images@master"), basedOn: 0,
                                    writes: [Self.put("/a/b", 1), .delete(path("/c")),
                                             .put(path("/d"), .directory(fileID(9), sizeBytes: 99))], guards: []))
        let restored = try MetadataState(decoding: fixture.state.encoded())
        #expect(restored == fixture.state)
        #expect(restored.encoded() == fixture.state.encoded())
        let view = try restored.fileView(ref("images@\(open.id)"))
        #expect(view.staged.version == 1 && view.staged.contentCount == 2)
        #expect(restored.gcRoots().staged.map(\.id).sorted() == [fileID(1), fileID(9)].sorted())
    }

    @Test func downstreamCommitsFollowProvenanceTransitively() throws {
        var fixture = Fixture()
        for name in ["raw", "edges", "stats"] { fixture.createRepo(name) }
        let raw = fixture.commit("raw")
        fixture.makeBranch("edges", "master", provenance: [key("raw", "master")])
        fixture.makeBranch("stats", "master", provenance: [key("edges", "master")])
        let edges = fixture.start("edges")
        let stats = fixture.start("stats")
        let downstream = fixture.state.downstreamCommits(of: raw).map(\.id)
        #expect(downstream == [edges.id, stats.id])
        #expect(fixture.state.downstreamCommits(of: stats.id).isEmpty)
    }
}

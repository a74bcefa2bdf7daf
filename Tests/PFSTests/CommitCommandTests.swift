import Testing
@testable import PFS

@Suite struct CommitCommandTests {
    @Test func firstStartCommitCreatesMaster() throws {
        var fixture = Fixture()
        fixture.createRepo("images")
        let info = fixture.start("images")
        #expect(info.repo == repo("images") && info.branch == branch("master"))
        #expect(info.parent == nil && !info.isFinished && info.children.isEmpty)
        #expect(fixture.branchInfo("images", "master").head == info.id)
        #expect(try fixture.state.inspectRepo(repo("images")).branches == [branch("master")])
    }

    @Test func parentDefaultsToTheBranchHead() throws {
        var fixture = Fixture()
        fixture.createRepo("images")
        let first = fixture.commit("images")
        let second = fixture.start("images")
        #expect(second.parent == first)
        #expect(fixture.commitInfo("images@\(first)").children == [second.id])
        #expect(fixture.branchInfo("images", "master").head == second.id)
    }

    @Test func explicitParentBranchesOffHistory() throws {
        var fixture = Fixture()
        fixture.createRepo("images")
        let first = fixture.commit("images")
        fixture.commit("images")
        let fork = fixture.start("images", "dev", parent: "images@master^")
        #expect(fork.parent == first)
        #expect(fixture.commitInfo("images@\(first)").children.count == 2)
    }

    @Test func secondStartOnAnOpenHeadFails() throws {
        var fixture = Fixture()
        fixture.createRepo("images")
        let open = fixture.start("images")
        fixture.expectFailure(.startCommit(repo: repo("images"), branch: branch("master"), parent: nil, id: cid(99),
                                           startedAtNanos: 1),
                              .branchHasOpenCommit(key("images", "master"), open.id))
    }

    @Test func startCommitRefusals() throws {
        var fixture = Fixture()
        fixture.createRepo("images")
        fixture.createRepo("other")
        let used = fixture.commit("images")
        let foreign = fixture.commit("other")
        let open = fixture.start("images", "dev")
        func start(_ parent: String?, id: CommitID = cid(99), repoName: String = "images") -> MetadataCommand {
            .startCommit(repo: repo(repoName), branch: branch("master"), parent: parent.map(ref), id: id, startedAtNanos: 1)
        }
        fixture.expectFailure(start(nil, repoName: "nope"), .repoNotFound(repo("nope")))
        fixture.expectFailure(start(nil, id: used), .commitExists(used))
        fixture.expectFailure(start("other@\(foreign)"), .commitNotInRepo(foreign, repo("images")))
        fixture.expectFailure(start("images@\(foreign)"), .commitNotInRepo(foreign, repo("images")))
        fixture.expectFailure(start("images@dev"), .commitNotFinished(open.id))
        fixture.expectFailure(start("images@master^1"), .ancestorNotFound(ref: "images@master^1", available: 0))
        fixture.expectFailure(start("images@nope"), .branchNotFound(key("images", "nope")))
        fixture.expectFailure(start("images@\(cid(12345))"), .commitNotFound(cid(12345)))
    }

    @Test func startCommitRecordsTheHeadsOfEveryUpstreamBranch() throws {
        var fixture = Fixture()
        for name in ["raw", "clean", "model"] { fixture.createRepo(name) }
        let raw = fixture.commit("raw")
        fixture.makeBranch("clean", "master", provenance: [key("raw", "master")])
        let clean = fixture.commit("clean")
        fixture.makeBranch("model", "master", provenance: [key("clean", "master")])
        let model = fixture.start("model")
        #expect(model.provenance == [CommitProvenance(branch: key("clean", "master"), commit: clean),
                                     CommitProvenance(branch: key("raw", "master"), commit: raw)])
    }

    @Test func finishCommitRecordsSizeAndTree() throws {
        var fixture = Fixture()
        fixture.createRepo("images")
        let open = fixture.start("images")
        let result = fixture.run(.finishCommit(ref("images@master"), finishedAtNanos: open.startedAtNanos + 5,
                                               sizeBytes: 123, rootTreeID: "tree"))
        guard case .commit(let info) = result else { Issue.record("\(result)"); return }
        #expect(info.id == open.id && info.finishedAtNanos == open.startedAtNanos + 5)
        #expect(info.sizeBytes == 123 && info.rootTreeID == "tree")
    }

    /// Proposers' clocks differ; a finish stamped before the start is raised to it.
    @Test func finishBeforeStartIsClampedToTheStart() throws {
        var fixture = Fixture()
        fixture.createRepo("images")
        let open = fixture.start("images")
        _ = fixture.run(.finishCommit(ref("images@master"), finishedAtNanos: 1, sizeBytes: 0, rootTreeID: ""))
        #expect(fixture.commitInfo("images@master").finishedAtNanos == open.startedAtNanos)
    }

    @Test func finishCommitRefusals() throws {
        var fixture = Fixture()
        fixture.createRepo("images")
        let done = fixture.commit("images")
        fixture.makeBranch("images", "empty")
        func finish(_ text: String, tree: String = "") -> MetadataCommand {
            .finishCommit(ref(text), finishedAtNanos: 1, sizeBytes: 0, rootTreeID: tree)
        }
        fixture.expectFailure(finish("images@master"), .commitFinished(done))
        fixture.expectFailure(finish("images@\(done)"), .commitFinished(done))
        fixture.expectFailure(finish("images@empty"), .branchHasNoHead(key("images", "empty")))
        fixture.expectFailure(finish("nope@master"), .repoNotFound(repo("nope")))
        fixture.start("images")
        let tree = String(repeating: "t", count: MetadataLimits.rootTreeIDBytesMax + 1)
        fixture.expectFailure(finish("images@master", tree: tree),
                              .invalidArgument("the root tree id is 129 bytes; the limit is 128"))
    }

    @Test func deleteOpenHeadMovesTheBranchBack() throws {
        var fixture = Fixture()
        fixture.createRepo("images")
        let first = fixture.commit("images")
        let open = fixture.start("images")
        #expect(fixture.run(.deleteCommit(ref("images@master"))) == .done)
        #expect(fixture.branchInfo("images", "master").head == first)
        #expect(fixture.commitInfo("images@\(first)").children.isEmpty)
        #expect(fixture.state.commits[open.id] == nil)
        #expect(fixture.run(.deleteCommit(ref("images@master"))) == .done)
        #expect(fixture.branchInfo("images", "master").head == nil, "deleting the first commit leaves no head")
        #expect(fixture.state.invariantViolation() == nil)
    }

    @Test func deleteCommitMovesEveryBranchThatPointsAtIt() throws {
        var fixture = Fixture()
        fixture.createRepo("images")
        let first = fixture.commit("images")
        let second = fixture.commit("images")
        fixture.makeBranch("images", "release", head: "images@\(second)")
        #expect(fixture.run(.deleteCommit(ref("images@\(second)"))) == .done)
        #expect(fixture.branchInfo("images", "master").head == first)
        #expect(fixture.branchInfo("images", "release").head == first)
    }

    @Test func deleteCommitRefusals() throws {
        var fixture = Fixture()
        fixture.createRepo("images")
        fixture.createRepo("edges")
        let first = fixture.commit("images")
        let second = fixture.commit("images")
        fixture.expectFailure(.deleteCommit(ref("images@master^")), .commitHasChildren(first, children: [second]))
        fixture.makeBranch("edges", "master", provenance: [key("images", "master")])
        let downstream = fixture.commit("edges")
        fixture.expectFailure(.deleteCommit(ref("images@master")), .commitHasSubvenance(second, dependents: [downstream]))
        fixture.expectFailure(.deleteCommit(ref("images@\(cid(777))")), .commitNotFound(cid(777)))
        fixture.expectFailure(.deleteCommit(ref("edges@\(second)")), .commitNotInRepo(second, repo("edges")))
    }
}

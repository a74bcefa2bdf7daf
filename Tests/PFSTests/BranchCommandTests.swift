import Testing
@testable import PFS

@Suite struct BranchCommandTests {
    @Test func createBranchAtAHeadAndMoveIt() throws {
        var fixture = Fixture()
        fixture.createRepo("images")
        let first = fixture.commit("images")
        let second = fixture.commit("images")
        let result = fixture.run(.createBranch(key("images", "stable"), head: ref("images@master^"), provenance: []))
        #expect(result == .branch(BranchInfo(key: key("images", "stable"), head: first, directProvenance: [],
                                             provenance: [], subvenance: [])))
        fixture.makeBranch("images", "stable", head: "images@master")
        #expect(fixture.branchInfo("images", "stable").head == second)
        fixture.makeBranch("images", "stable")
        #expect(fixture.branchInfo("images", "stable").head == second, "no head keeps the current one")
    }

    @Test func branchWithoutHeadTakesItsFirstCommitAsRoot() throws {
        var fixture = Fixture()
        fixture.createRepo("images")
        fixture.makeBranch("images", "empty")
        #expect(fixture.branchInfo("images", "empty").head == nil)
        #expect(fixture.start("images", "empty").parent == nil)
    }

    @Test func provenanceAndDerivedSubvenanceAreTransitive() throws {
        var fixture = Fixture()
        for name in ["raw", "clean", "model"] { fixture.createRepo(name) }
        fixture.makeBranch("raw", "master")
        fixture.makeBranch("clean", "master", provenance: [key("raw", "master"), key("raw", "master")])
        fixture.makeBranch("model", "master", provenance: [key("clean", "master")])
        let model = fixture.branchInfo("model", "master")
        #expect(model.directProvenance == [key("clean", "master")])
        #expect(model.provenance == [key("clean", "master"), key("raw", "master")])
        #expect(fixture.branchInfo("raw", "master").subvenance == [key("clean", "master"), key("model", "master")])
        #expect(fixture.branchInfo("clean", "master").directProvenance == [key("raw", "master")], "duplicates collapse")
    }

    @Test func provenanceCyclesAreRefusedWithTheirPath() throws {
        var fixture = Fixture()
        for name in ["a", "b", "c"] { fixture.createRepo(name) }
        fixture.makeBranch("a", "master")
        fixture.makeBranch("b", "master", provenance: [key("a", "master")])
        fixture.makeBranch("c", "master", provenance: [key("b", "master")])
        fixture.expectFailure(.createBranch(key("a", "master"), head: nil, provenance: [key("c", "master")]),
                              .provenanceCycle([key("a", "master"), key("c", "master"), key("b", "master"), key("a", "master")]))
        fixture.expectFailure(.createBranch(key("a", "master"), head: nil, provenance: [key("a", "master")]),
                              .provenanceCycle([key("a", "master"), key("a", "master")]))
        fixture.expectFailure(.createBranch(key("a", "new"), head: nil, provenance: [key("a", "new")]),
                              .provenanceCycle([key("a", "new"), key("a", "new")]))
    }

    @Test func createBranchRefusals() throws {
        var fixture = Fixture()
        fixture.createRepo("images")
        fixture.createRepo("other")
        let foreign = fixture.commit("other")
        fixture.start("images")
        fixture.expectFailure(.createBranch(key("nope", "x"), head: nil, provenance: []), .repoNotFound(repo("nope")))
        fixture.expectFailure(.createBranch(key("images", "x"), head: nil, provenance: [key("other", "nope")]),
                              .branchNotFound(key("other", "nope")))
        fixture.expectFailure(.createBranch(key("images", "x"), head: nil, provenance: [key("nope", "master")]),
                              .repoNotFound(repo("nope")))
        fixture.expectFailure(.createBranch(key("images", "x"), head: ref("other@master"), provenance: []),
                              .commitNotInRepo(foreign, repo("images")))
        fixture.makeBranch("images", "empty")
        fixture.expectFailure(.createBranch(key("images", "master"), head: ref("images@empty"), provenance: []),
                              .branchHasNoHead(key("images", "empty")))
        let many = (0...MetadataLimits.provenanceCountMax).map { key("other", "b\($0)") }
        fixture.expectFailure(.createBranch(key("images", "x"), head: nil, provenance: many),
                              .invalidArgument("257 provenance branches; the limit is 256"))
    }

    @Test func branchCannotMoveOffItsOwnOpenCommit() throws {
        var fixture = Fixture()
        fixture.createRepo("images")
        let first = fixture.commit("images")
        let open = fixture.start("images")
        fixture.expectFailure(.createBranch(key("images", "master"), head: ref("images@\(first)"), provenance: []),
                              .branchHasOpenCommit(key("images", "master"), open.id))
        // Another branch may point at the open commit and move away again.
        fixture.makeBranch("images", "peek", head: "images@master")
        fixture.makeBranch("images", "peek", head: "images@\(first)")
        #expect(fixture.branchInfo("images", "peek").head == first)
    }

    @Test func deleteBranchKeepsItsCommits() throws {
        var fixture = Fixture()
        fixture.createRepo("images")
        let id = fixture.commit("images", "dev")
        #expect(fixture.run(.deleteBranch(key("images", "dev"), force: false)) == .done)
        #expect(throws: PFSError.branchNotFound(key("images", "dev"))) { try fixture.state.inspectBranch(key("images", "dev")) }
        #expect(fixture.commitInfo("images@\(id)").branch == branch("dev"))
    }

    @Test func deleteBranchRefusals() throws {
        var fixture = Fixture()
        fixture.createRepo("images")
        fixture.createRepo("edges")
        fixture.commit("images")
        fixture.makeBranch("edges", "master", provenance: [key("images", "master")])
        let open = fixture.start("images", "dev")
        fixture.expectFailure(.deleteBranch(key("images", "nope"), force: true), .branchNotFound(key("images", "nope")))
        fixture.expectFailure(.deleteBranch(key("nope", "master"), force: true), .repoNotFound(repo("nope")))
        fixture.expectFailure(.deleteBranch(key("images", "master"), force: false),
                              .branchHasDependents(key("images", "master"), dependents: [key("edges", "master")]))
        fixture.expectFailure(.deleteBranch(key("images", "dev"), force: true), .branchHasOpenCommit(key("images", "dev"), open.id))
    }

    @Test func forcedDeleteBranchStripsDownstreamEdges() throws {
        var fixture = Fixture()
        fixture.createRepo("images")
        fixture.createRepo("edges")
        fixture.commit("images")
        fixture.makeBranch("edges", "master", provenance: [key("images", "master")])
        #expect(fixture.run(.deleteBranch(key("images", "master"), force: true)) == .done)
        #expect(fixture.branchInfo("edges", "master").directProvenance.isEmpty)
        #expect(fixture.state.invariantViolation() == nil)
    }
}

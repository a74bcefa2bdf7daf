import Testing
@testable import PFS

@Suite struct RepoCommandTests {
    @Test func createRepoAnswersItsInfoAndHasNoBranchesYet() throws {
        var fixture = Fixture()
        let result = fixture.run(.createRepo(repo("images"), description: "cats", createdAtNanos: 42))
        let expected = RepoInfo(name: repo("images"), description: "cats", createdAtNanos: 42, sizeBytes: 0, branches: [])
        #expect(result == .repo(expected))
        #expect(try fixture.state.inspectRepo(repo("images")) == expected)
        #expect(try fixture.state.listBranches(repo("images")).isEmpty)
    }

    @Test func listReposIsSortedByName() throws {
        var fixture = Fixture()
        for name in ["zeta", "Alpha", "beta", "alpha"] { fixture.createRepo(name) }
        #expect(fixture.state.listRepos().map(\.name.text) == ["Alpha", "alpha", "beta", "zeta"])
    }

    @Test func createExistingRepoFails() throws {
        var fixture = Fixture()
        fixture.createRepo("images")
        fixture.commit("images")
        fixture.expectFailure(.createRepo(repo("images"), description: "", createdAtNanos: 1), .repoExists(repo("images")))
    }

    @Test func descriptionTooLongFails() throws {
        var fixture = Fixture()
        let description = String(repeating: "x", count: MetadataLimits.descriptionBytesMax + 1)
        fixture.expectFailure(.createRepo(repo("images"), description: description, createdAtNanos: 1),
                              .invalidArgument("the description is 4097 bytes; the limit is 4096"))
    }

    @Test func deleteRepoRemovesItsBranchesAndCommits() throws {
        var fixture = Fixture()
        fixture.createRepo("images")
        fixture.createRepo("other")
        fixture.commit("images")
        fixture.start("images", "dev")
        let kept = fixture.commit("other")
        #expect(fixture.run(.deleteRepo(repo("images"), force: false)) == .done)
        #expect(fixture.state.listRepos().map(\.name) == [repo("other")])
        #expect(fixture.state.commits.keys.sorted() == [kept])
        #expect(fixture.state.branches.keys.sorted() == [key("other", "master")])
        #expect(fixture.state.invariantViolation() == nil)
    }

    @Test func deleteMissingRepoFails() throws {
        var fixture = Fixture()
        fixture.expectFailure(.deleteRepo(repo("nope"), force: true), .repoNotFound(repo("nope")))
    }

    @Test func deleteRepoWithDownstreamBranchesNeedsForce() throws {
        var fixture = Fixture()
        fixture.createRepo("images")
        fixture.createRepo("edges")
        fixture.commit("images")
        fixture.makeBranch("edges", "master", provenance: [key("images", "master")])
        fixture.makeBranch("images", "dev", provenance: [key("images", "master")])
        fixture.expectFailure(.deleteRepo(repo("images"), force: false),
                              .repoHasDependents(repo("images"), dependents: [key("edges", "master")]))
    }

    @Test func forcedDeleteStripsProvenanceOnTheDeletedRepo() throws {
        var fixture = Fixture()
        fixture.createRepo("images")
        fixture.createRepo("edges")
        fixture.commit("images")
        fixture.makeBranch("edges", "master", provenance: [key("images", "master")])
        let downstream = fixture.commit("edges")
        #expect(fixture.commitInfo("edges@master").provenance.map(\.branch) == [key("images", "master")])

        #expect(fixture.run(.deleteRepo(repo("images"), force: true)) == .done)
        #expect(fixture.branchInfo("edges", "master").directProvenance.isEmpty)
        #expect(fixture.commitInfo("edges@\(downstream)").provenance.isEmpty)
        #expect(fixture.state.invariantViolation() == nil)
    }

    /// Pachyderm 2 reports a repo's size as that of master's newest finished commit.
    @Test func repoSizeIsTheNewestFinishedCommitOnMaster() throws {
        var fixture = Fixture()
        fixture.createRepo("images")
        fixture.commit("images", sizeBytes: 10)
        fixture.commit("images", sizeBytes: 25)
        fixture.commit("images", "dev", sizeBytes: 999)
        #expect(try fixture.state.inspectRepo(repo("images")).sizeBytes == 25)
        fixture.start("images")
        #expect(try fixture.state.inspectRepo(repo("images")).sizeBytes == 25, "an open write keeps the last size")
        #expect(try fixture.state.inspectRepo(repo("images")).branches == [branch("dev"), branch("master")])
    }
}

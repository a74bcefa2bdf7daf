import Testing
@testable import PFS

@Suite struct QueryTests {
    /// master: c1 <- c2 <- c3 <- c4 (open); dev forks from c2: c2 <- d1.
    static func history() -> (Fixture, [CommitID], CommitID) {
        var fixture = Fixture()
        fixture.createRepo("images")
        let c1 = fixture.commit("images")
        let c2 = fixture.commit("images")
        let d1 = fixture.start("images", "dev", parent: "images@master").id
        fixture.finish("images@dev")
        let c3 = fixture.commit("images")
        let c4 = fixture.start("images").id
        return (fixture, [c1, c2, c3, c4], d1)
    }

    @Test func ancestryWalksParents() throws {
        let (fixture, c, d1) = Self.history()
        #expect(try fixture.state.resolve(ref("images@master")) == c[3])
        #expect(try fixture.state.resolve(ref("images@master^")) == c[2])
        #expect(try fixture.state.resolve(ref("images@master^^")) == c[1])
        #expect(try fixture.state.resolve(ref("images@master^3")) == c[0])
        #expect(try fixture.state.resolve(ref("images@master~3")) == c[0])
        #expect(try fixture.state.resolve(ref("images@\(c[2])^2")) == c[0])
        #expect(try fixture.state.resolve(ref("images@dev^")) == c[1])
        #expect(try fixture.state.inspectCommit(ref("images@dev")).id == d1)
        #expect(throws: PFSError.ancestorNotFound(ref: "images@master^4", available: 3)) {
            try fixture.state.resolve(ref("images@master^4"))
        }
        #expect(throws: PFSError.ancestorNotFound(ref: "images@dev^9", available: 2)) {
            try fixture.state.resolve(ref("images@dev^9"))
        }
    }

    @Test func listCommitsOfABranchFollowsParentsNewestFirst() throws {
        let (fixture, c, d1) = Self.history()
        #expect(try fixture.state.listCommits(repo("images"), branch: branch("master")).map(\.id) == c.reversed())
        #expect(try fixture.state.listCommits(repo("images"), branch: branch("dev")).map(\.id) == [d1, c[1], c[0]])
        #expect(try fixture.state.listCommits(repo("images"), branch: branch("master"), limit: 2).map(\.id) == [c[3], c[2]])
    }

    @Test func listCommitsOfARepoIsInStartOrderNewestFirst() throws {
        let (fixture, c, d1) = Self.history()
        let all = try fixture.state.listCommits(repo("images"))
        #expect(all.map(\.id) == [c[3], c[2], d1, c[1], c[0]])
        #expect(try fixture.state.listCommits(repo("images"), limit: 1).map(\.id) == [c[3]])
        #expect(try fixture.state.listCommits(repo("images"), limit: 0).count == 5, "0 means no limit")
    }

    @Test func listCommitsRefusals() throws {
        var (fixture, _, _) = Self.history()
        #expect(throws: PFSError.repoNotFound(repo("nope"))) { try fixture.state.listCommits(repo("nope")) }
        #expect(throws: PFSError.branchNotFound(key("images", "nope"))) {
            try fixture.state.listCommits(repo("images"), branch: branch("nope"))
        }
        fixture.makeBranch("images", "empty")
        #expect(try fixture.state.listCommits(repo("images"), branch: branch("empty")).isEmpty)
    }

    @Test func listBranchesIsSortedAndInspectCommitAnswersCopies() throws {
        let (fixture, c, _) = Self.history()
        #expect(try fixture.state.listBranches(repo("images")).map(\.key.branch) == [branch("dev"), branch("master")])
        let info = try fixture.state.inspectCommit(ref("images@master^"))
        #expect(info.id == c[2] && info.parent == c[1] && info.children == [c[3]] && info.isFinished)
        #expect(try fixture.state.inspectCommit(ref("images@\(c[1])")).children.count == 2)
    }
}

import PachAPI
import Testing
@testable import PachctlKit

/// Every table and listing pachctl prints, rendered from `Fixtures` and compared with `testdata/`.
struct PresenterTableTests {
    let presenter = Presenter(format: .table, nowUnixNanos: Fixtures.now)

    @Test func version() throws {
        try Golden.check(presenter.version(client: "0.1.0-dev", server: "0.1.0-dev", serverAddress: "127.0.0.1:30651"), "version")
    }

    @Test func clusterStatus() throws {
        try Golden.check(presenter.clusterStatus(Fixtures.clusterStatus), "cluster-status")
    }

    @Test func clusterStatusWithoutLeader() throws {
        var status = Fixtures.clusterStatus
        status.leaderID = 0
        status.nodes = status.nodes.map { node in
            var node = node
            node.isLeader = false
            if node.role == .leader { node.role = .candidate }
            return node
        }
        let output = presenter.clusterStatus(status)
        #expect(output.hasPrefix("cluster c0ffee00c0ffee00c0ffee00c0ffee00: no leader, 2/3 nodes up"))
        #expect(!output.contains("*"))
    }

    @Test func listRepo() throws {
        try Golden.check(presenter.repos([Fixtures.edges, Fixtures.images]), "list-repo")
    }

    @Test func inspectRepo() throws {
        try Golden.check(presenter.repo(Fixtures.images), "inspect-repo")
    }

    @Test func listCommit() throws {
        try Golden.check(
            presenter.commits([Fixtures.openCommit, Fixtures.finishedCommit, Fixtures.edgesCommit]), "list-commit")
    }

    @Test func inspectCommit() throws {
        try Golden.check(presenter.commit(Fixtures.finishedCommit), "inspect-commit-finished")
        try Golden.check(presenter.commit(Fixtures.openCommit), "inspect-commit-open")
        try Golden.check(presenter.commit(Fixtures.edgesCommit), "inspect-commit-provenance")
    }

    @Test func startCommitPrintsTheIDAlone() {
        var commit = Pfs_Commit()
        commit.repo = "images"
        commit.branch = "master"
        commit.id = Fixtures.secondID
        #expect(presenter.startedCommit(commit) == Fixtures.secondID + "\n")
    }

    @Test func listBranch() throws {
        try Golden.check(presenter.branches([Fixtures.imagesDev, Fixtures.imagesMaster]), "list-branch-images")
        try Golden.check(presenter.branches([Fixtures.edgesMaster]), "list-branch-edges")
    }

    @Test func inspectBranch() throws {
        try Golden.check(presenter.branch(Fixtures.edgesMaster), "inspect-branch")
    }

    @Test func emptyListsPrintHeadersOnly() {
        #expect(presenter.repos([]) == "NAME   CREATED   SIZE (MASTER)   DESCRIPTION\n")
    }
}

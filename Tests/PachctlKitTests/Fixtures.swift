import PachAPI

/// Fake API results for rendering tests: a small cluster with two repos, a provenance edge
/// (edges@master from images@master), one finished and one open commit.
enum Fixtures {
    static let second: Int64 = 1_000_000_000
    /// 2026-11-20T10:00:00Z, the "now" of every rendering test.
    static let now: Int64 = 1_795_168_800 * second

    static let firstID = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    static let secondID = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
    static let edgesID = "5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e"
    static let treeID = String(repeating: "ab", count: 32)

    static func branch(_ repo: String, _ name: String) -> Pfs_Branch {
        var branch = Pfs_Branch()
        branch.repo = repo
        branch.name = name
        return branch
    }

    static var images: Pfs_RepoInfo {
        var repo = Pfs_RepoInfo()
        repo.name = "images"
        repo.description_p = "Cat pictures"
        repo.createdUnixNanos = now - 3 * 60 * second
        repo.sizeBytes = 1_258_291
        repo.branches = [branch("images", "dev"), branch("images", "master")]
        return repo
    }

    static var edges: Pfs_RepoInfo {
        var repo = Pfs_RepoInfo()
        repo.name = "edges"
        repo.createdUnixNanos = now - 2 * 3600 * second
        repo.sizeBytes = 0
        repo.branches = [branch("edges", "master")]
        return repo
    }

    static var finishedCommit: Pfs_CommitInfo {
        var commit = Pfs_CommitInfo()
        commit.id = firstID
        commit.repo = "images"
        commit.branch = "master"
        commit.childIds = [secondID]
        commit.state = .finished
        commit.startedUnixNanos = now - 2 * 3600 * second
        commit.finishedUnixNanos = now - 2 * 3600 * second + 12 * second + 250_000_000
        commit.sizeBytes = 1_258_291
        commit.rootTreeID = treeID
        commit.description_p = "first \"batch\""
        return commit
    }

    static var openCommit: Pfs_CommitInfo {
        var commit = Pfs_CommitInfo()
        commit.id = secondID
        commit.repo = "images"
        commit.branch = "master"
        commit.parentID = firstID
        commit.state = .open
        commit.startedUnixNanos = now - 45 * second
        commit.sizeBytes = 0
        return commit
    }

    static var edgesCommit: Pfs_CommitInfo {
        var commit = Pfs_CommitInfo()
        commit.id = edgesID
        commit.repo = "edges"
        commit.branch = "master"
        commit.state = .finished
        commit.startedUnixNanos = now - 3600 * second
        commit.finishedUnixNanos = now - 3540 * second
        var upstream = Pfs_Commit()
        upstream.repo = "images"
        upstream.branch = "master"
        upstream.id = firstID
        commit.provenance = [upstream]
        commit.sizeBytes = 42
        commit.rootTreeID = treeID
        return commit
    }

    static var imagesMaster: Pfs_BranchInfo {
        var info = Pfs_BranchInfo()
        info.repo = "images"
        info.name = "master"
        info.headID = secondID
        info.subvenance = [branch("edges", "master")]
        return info
    }

    static var imagesDev: Pfs_BranchInfo {
        var info = Pfs_BranchInfo()
        info.repo = "images"
        info.name = "dev"
        return info
    }

    static var edgesMaster: Pfs_BranchInfo {
        var info = Pfs_BranchInfo()
        info.repo = "edges"
        info.name = "master"
        info.headID = edgesID
        info.directProvenance = [branch("images", "master")]
        info.provenance = [branch("images", "master")]
        return info
    }

    static func node(
        _ id: UInt64, role: Admin_RaftRole, term: UInt64, commit: UInt64, applied: UInt64, up: Bool,
        contactMs: Int64, error: String = ""
    ) -> Admin_NodeStatus {
        var node = Admin_NodeStatus()
        node.id = id
        node.apiAddress = "127.0.0.1:3065\(id)"
        node.peerAddress = "127.0.0.1:3075\(id)"
        node.membership = .voter
        node.role = role
        node.term = term
        node.commitIndex = commit
        node.appliedIndex = applied
        node.lastIndex = commit
        node.snapshotIndex = 0
        node.up = up
        node.isLeader = role == .leader
        node.lastContactMs = contactMs
        node.error = error
        return node
    }

    static var clusterStatus: Admin_ClusterStatusResponse {
        var status = Admin_ClusterStatusResponse()
        status.clusterID = "c0ffee00c0ffee00c0ffee00c0ffee00"
        status.answeredBy = 2
        status.leaderID = 1
        status.nodes = [
            node(1, role: .leader, term: 3, commit: 1204, applied: 1204, up: true, contactMs: 35),
            node(2, role: .follower, term: 3, commit: 1204, applied: 1203, up: true, contactMs: 0),
            node(3, role: .unspecified, term: 2, commit: 980, applied: 980, up: false, contactMs: 184_000,
                 error: "unreachable: connection refused"),
        ]
        // The leader has recorded node 3 as down (it was silent longer than --down-after).
        status.nodes[2].markedDown = true
        for (index, count) in [(0, 812), (1, 812), (2, 640)] {
            status.nodes[index].chunks = UInt64(count)
            status.nodes[index].chunkRawBytes = UInt64(count) << 20
            status.nodes[index].chunkStoredBytes = UInt64(count) * 700_000
        }
        status.repair.chunks = 812
        status.repair.underReplicatedChunks = 172
        status.repair.underReplicatedBytes = 172 << 20
        return status
    }
}

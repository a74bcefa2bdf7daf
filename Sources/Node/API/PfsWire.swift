import PFS
import PachAPI

// Conversions from PFS answers to the public messages (Proto/pfs.proto). One direction only: requests
// are validated by `PfsArguments`, never converted field by field.

extension Pfs_Branch {
    /// `repo@branch` as a message.
    init(_ key: BranchKey) {
        self.init()
        repo = key.repo.text
        name = key.branch.text
    }
}

extension Pfs_RepoInfo {
    /// A repo as the API describes it.
    init(_ info: RepoInfo) {
        self.init()
        name = info.name.text
        description_p = info.description
        createdUnixNanos = Int64(clamping: info.createdAtNanos)
        sizeBytes = info.sizeBytes
        branches = info.branches.map { Pfs_Branch(BranchKey(info.name, $0)) }
    }
}

extension Pfs_BranchInfo {
    /// A branch as the API describes it; `head_id` empty before the first commit.
    init(_ info: BranchInfo) {
        self.init()
        repo = info.key.repo.text
        name = info.key.branch.text
        headID = info.head?.description ?? ""
        directProvenance = info.directProvenance.map(Pfs_Branch.init)
        provenance = info.provenance.map(Pfs_Branch.init)
        subvenance = info.subvenance.map(Pfs_Branch.init)
    }
}

extension Pfs_Commit {
    /// The commit `info` describes, with the branch it was started on.
    init(_ info: CommitInfo) {
        self.init()
        repo = info.repo.text
        branch = info.branch.text
        id = info.id.description
    }

    /// One entry of a commit's provenance: the upstream branch and its head at the time.
    init(_ provenance: CommitProvenance) {
        self.init()
        repo = provenance.branch.repo.text
        branch = provenance.branch.branch.text
        id = provenance.commit.description
    }
}

extension Pfs_CommitInfo {
    /// A commit as the API describes it.
    init(_ info: CommitInfo) {
        self.init()
        id = info.id.description
        repo = info.repo.text
        branch = info.branch.text
        parentID = info.parent?.description ?? ""
        childIds = info.children.map(\.description)
        state = info.isFinished ? .finished : .open
        startedUnixNanos = Int64(clamping: info.startedAtNanos)
        finishedUnixNanos = Int64(clamping: info.finishedAtNanos ?? 0)
        provenance = info.provenance.map(Pfs_Commit.init)
        sizeBytes = info.sizeBytes
        rootTreeID = info.rootTreeID
        description_p = info.description
        stagedPaths = info.stagedPaths
    }
}

/// What a query or a command answers about a repo. A value copy: it does not change when the state does.
public struct RepoInfo: Sendable, Hashable {
    /// The repo's name.
    public var name: RepoName
    /// Free text from `createRepo`.
    public var description: String
    /// When the proposer created it, in nanoseconds since the Unix epoch (the proposer's clock).
    public var createdAtNanos: UInt64
    /// The size of the newest finished commit on `master` (0 when there is none), as Pachyderm 2 reports it.
    public var sizeBytes: UInt64
    /// Its branches, sorted.
    public var branches: [BranchName]

    /// A repo info with every field given.
    public init(name: RepoName, description: String, createdAtNanos: UInt64, sizeBytes: UInt64,
                branches: [BranchName]) {
        self.name = name
        self.description = description
        self.createdAtNanos = createdAtNanos
        self.sizeBytes = sizeBytes
        self.branches = branches
    }
}

/// What a query or a command answers about a branch.
public struct BranchInfo: Sendable, Hashable {
    /// The branch.
    public var key: BranchKey
    /// Its head commit; nil before the first commit (or after the only one was deleted).
    public var head: CommitID?
    /// The branches it takes provenance from directly, sorted.
    public var directProvenance: [BranchKey]
    /// Every branch upstream of it (the transitive closure of `directProvenance`), sorted.
    public var provenance: [BranchKey]
    /// Every branch downstream of it (derived from the other branches' provenance), sorted.
    public var subvenance: [BranchKey]

    /// A branch info with every field given.
    public init(key: BranchKey, head: CommitID?, directProvenance: [BranchKey], provenance: [BranchKey],
                subvenance: [BranchKey]) {
        self.key = key
        self.head = head
        self.directProvenance = directProvenance
        self.provenance = provenance
        self.subvenance = subvenance
    }
}

/// One upstream commit a commit was made from: the head of an upstream branch when the commit started.
public struct CommitProvenance: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The upstream branch.
    public var branch: BranchKey
    /// Its head at the time.
    public var commit: CommitID

    /// The head `commit` of `branch`.
    public init(branch: BranchKey, commit: CommitID) {
        self.branch = branch
        self.commit = commit
    }

    public var description: String { "\(branch)=\(commit)" }

    public static func < (lhs: CommitProvenance, rhs: CommitProvenance) -> Bool {
        lhs.branch != rhs.branch ? lhs.branch < rhs.branch : lhs.commit < rhs.commit
    }
}

/// What a query or a command answers about a commit.
public struct CommitInfo: Sendable, Hashable {
    /// The commit's id.
    public var id: CommitID
    /// The repo it belongs to.
    public var repo: RepoName
    /// The branch it was started on (kept as history even if that branch later moves or goes away).
    public var branch: BranchName
    /// Its parent; nil for the first commit of a line.
    public var parent: CommitID?
    /// Commits whose parent it is, sorted.
    public var children: [CommitID]
    /// When the proposer started it (nanoseconds since the Unix epoch).
    public var startedAtNanos: UInt64
    /// When it was finished; nil while it is open.
    public var finishedAtNanos: UInt64?
    /// Its size, given when it was finished (0 while open).
    public var sizeBytes: UInt64
    /// The id of its file tree, given when it was finished (empty until trees exist).
    public var rootTreeID: String
    /// The upstream heads it was made from, sorted.
    public var provenance: [CommitProvenance]
    /// Free text from start or finish.
    public var description: String
    /// While open: how many stage commands it has taken (what a finish must be built from).
    public var stagedVersion: UInt64
    /// While open: how many paths it has staged.
    public var stagedPaths: UInt64

    /// Whether it is finished (and so immutable).
    public var isFinished: Bool { finishedAtNanos != nil }

    /// A commit info with every field given.
    public init(id: CommitID, repo: RepoName, branch: BranchName, parent: CommitID?, children: [CommitID],
                startedAtNanos: UInt64, finishedAtNanos: UInt64?, sizeBytes: UInt64, rootTreeID: String,
                provenance: [CommitProvenance], description: String = "", stagedVersion: UInt64 = 0,
                stagedPaths: UInt64 = 0) {
        self.id = id
        self.repo = repo
        self.branch = branch
        self.parent = parent
        self.children = children
        self.startedAtNanos = startedAtNanos
        self.finishedAtNanos = finishedAtNanos
        self.sizeBytes = sizeBytes
        self.rootTreeID = rootTreeID
        self.provenance = provenance
        self.description = description
        self.stagedVersion = stagedVersion
        self.stagedPaths = stagedPaths
    }
}

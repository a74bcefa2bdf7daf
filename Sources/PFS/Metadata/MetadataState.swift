/// The whole of PFS metadata (repos, branches, commits, and the member records) as one pure value, and the deterministic
/// `apply(_:)` that the Raft state machine runs on every node.
///
/// Rules every command follows:
/// - Check everything first, then change: a handler throws only before its first mutation, so a refused
///   command leaves the state exactly as it was (tests compare before and after) without copying it.
/// - No clock, no randomness, no I/O: times and ids come in the command.
/// - Anything that reaches an answer or the snapshot is sorted, never in `Dictionary` order (which
///   differs between processes).
///
/// See `invariantViolation()` for what holds between commands.
public struct MetadataState: Sendable, Equatable {
    struct RepoRecord: Sendable, Equatable {
        var name: RepoName
        var description: String
        var createdAtNanos: UInt64
    }

    struct BranchRecord: Sendable, Equatable {
        var key: BranchKey
        var head: CommitID?
        /// Direct provenance only; the closure and the subvenance are derived when asked.
        var provenance: Set<BranchKey>
    }

    struct CommitRecord: Sendable, Equatable {
        var id: CommitID
        var repo: RepoName
        /// The branch it was started on.
        var branch: BranchName
        var parent: CommitID?
        var children: Set<CommitID>
        var startedAtNanos: UInt64
        var finishedAtNanos: UInt64?
        var sizeBytes: UInt64
        var rootTreeID: String
        var provenance: [CommitProvenance]
        /// Creation order: commits of a repo list newest first by this, not by the proposers' clocks,
        /// which disagree between nodes.
        var sequence: UInt64
        /// Free text from start or finish.
        var description = ""
        /// What an open commit has staged; empty once it is finished (the tree holds it then).
        var staged = StagedTree()

        var isOpen: Bool { finishedAtNanos == nil }
    }

    var repos: [RepoName: RepoRecord] = [:]
    var branches: [BranchKey: BranchRecord] = [:]
    /// Keyed by id alone: ids are unique cluster-wide.
    var commits: [CommitID: CommitRecord] = [:]
    /// Member records by node id.
    var members: [UInt64: MemberInfo] = [:]
    /// The `sequence` the next new commit gets.
    var nextSequence: UInt64 = 1

    /// The index of the last Raft entry reflected here. Kept inside the state (and so inside the snapshot
    /// image) so that it is always saved and restored together with the data it describes.
    public var appliedIndex: UInt64 = 0

    /// An empty state: no repos.
    public init() {}

    /// Executes `command`. A refused command answers `.failed` and changes nothing.
    public mutating func apply(_ command: MetadataCommand) -> MetadataResult {
        do throws(PFSError) {
            switch command {
            case .createRepo(let name, let description, let createdAtNanos):
                return .repo(try createRepo(name, description: description, createdAtNanos: createdAtNanos))
            case .deleteRepo(let name, let force):
                try deleteRepo(name, force: force)
                return .done
            case .startCommit(let repo, let branch, let parent, let id, let startedAtNanos, let description):
                return .commit(try startCommit(BranchKey(repo, branch), parent: parent, id: id,
                                               startedAtNanos: startedAtNanos, description: description))
            case .finishCommit(let ref, let finishedAtNanos, let sizeBytes, let rootTreeID, let version, let description):
                return .commit(try finishCommit(ref, finishedAtNanos: finishedAtNanos, sizeBytes: sizeBytes,
                                                rootTreeID: rootTreeID, stagedVersion: version, description: description))
            case .stageFiles(let ref, let basedOn, let writes, let guards):
                return .commit(try stageFiles(ref, basedOn: basedOn, writes: writes, guards: guards))
            case .commitFiles(let key, let parent, let id, let startedAtNanos, let finishedAtNanos, let sizeBytes,
                              let rootTreeID, let description):
                return .commit(try commitFiles(key, parent: parent, id: id, startedAtNanos: startedAtNanos,
                                               finishedAtNanos: finishedAtNanos, sizeBytes: sizeBytes,
                                               rootTreeID: rootTreeID, description: description))
            case .deleteCommit(let ref):
                try deleteCommit(ref)
                return .done
            case .createBranch(let key, let head, let provenance):
                return .branch(try createBranch(key, head: head, provenance: provenance))
            case .deleteBranch(let key, let force):
                try deleteBranch(key, force: force)
                return .done
            case .registerMember(let id, let apiAddress, let peerAddress, let atNanos):
                return .member(try registerMember(id, apiAddress: apiAddress, peerAddress: peerAddress,
                                                  atNanos: atNanos))
            case .setMemberLiveness(let id, let isUp, let atNanos):
                return .member(try setMemberLiveness(id, isUp: isUp, atNanos: atNanos))
            case .forgetMember(let id):
                try forgetMember(id)
                return .done
            }
        } catch {
            return .failed(error)
        }
    }

    // MARK: Lookups shared by commands and queries

    func repo(_ name: RepoName) throws(PFSError) -> RepoRecord {
        guard let record = repos[name] else { throw .repoNotFound(name) }
        return record
    }

    func branch(_ key: BranchKey) throws(PFSError) -> BranchRecord {
        _ = try repo(key.repo)
        guard let record = branches[key] else { throw .branchNotFound(key) }
        return record
    }

    func commit(_ id: CommitID) throws(PFSError) -> CommitRecord {
        guard let record = commits[id] else { throw .commitNotFound(id) }
        return record
    }

    /// The commit `ref` names now: the target (a branch head or an id in the ref's repo), then `ancestry`
    /// parent links back.
    func resolveRecord(_ ref: Ref) throws(PFSError) -> CommitRecord {
        _ = try repo(ref.repo)
        var current: CommitRecord
        switch ref.target {
        case .branch(let name):
            let key = BranchKey(ref.repo, name)
            guard let head = try branch(key).head else { throw .branchHasNoHead(key) }
            current = try commit(head)
        case .commit(let id):
            current = try commit(id)
            guard current.repo == ref.repo else { throw .commitNotInRepo(id, ref.repo) }
        }
        // Bounded by `ancestry`; parent links cannot cycle (a parent is always created before its child).
        for walked in 0..<ref.ancestry {
            guard let parent = current.parent else {
                throw .ancestorNotFound(ref: ref.description, available: walked)
            }
            current = try commit(parent)
        }
        return current
    }
}

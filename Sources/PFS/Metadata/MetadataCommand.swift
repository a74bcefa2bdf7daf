/// One change to PFS metadata: what the proposer puts in a Raft entry (`encoded`) and what
/// `MetadataState.apply` executes on every node.
///
/// The proposer supplies everything that is not a pure function of the state (new commit ids, times,
/// sizes, tree ids), because `apply` must give the same result on every node. Refs (`repo@master^`) are
/// carried as refs and resolved by `apply`, so they mean what they mean at that point of the log.
public enum MetadataCommand: Sendable, Hashable {
    /// Creates an empty repo (no branches: `master` appears with the first commit).
    case createRepo(RepoName, description: String, createdAtNanos: UInt64)
    /// Deletes a repo with its branches and commits. Refused while branches of other repos take
    /// provenance from it, unless `force`, which removes those provenance edges.
    case deleteRepo(RepoName, force: Bool)
    /// Opens commit `id` on `branch` (created when missing). Its parent is `parent` when given, else the
    /// branch head; the branch head moves to it.
    case startCommit(repo: RepoName, branch: BranchName, parent: Ref?, id: CommitID, startedAtNanos: UInt64,
                     description: String = "")
    /// Finishes the open commit `ref` names, recording its size and file tree, which the proposer built
    /// from the parent's tree and the commit's staged writes at `stagedVersion` (refused with
    /// `commitChanged` when more writes landed since). A non-empty `description` replaces the commit's.
    case finishCommit(Ref, finishedAtNanos: UInt64, sizeBytes: UInt64, rootTreeID: String, stagedVersion: UInt64 = 0,
                      description: String = "")
    /// Adds writes to the open commit `ref` names. The proposer validated them against the commit as it
    /// was at staged version `basedOn`; refused with `stagedConflict` when a later write touched one of
    /// their paths (or a `guards` path), or one of the directories above them (see `StagedTree`).
    case stageFiles(Ref, basedOn: UInt64, writes: [StagedTree.Write], guards: [PFSPath])
    /// Makes a finished commit `id` on `branch` in one step (a put or delete with no open commit to go
    /// into: one call, one commit). The proposer built its tree on `parent`, which must still be the
    /// branch head (else `branchHeadMoved`, and the proposer builds again on the new head).
    case commitFiles(BranchKey, parent: CommitID?, id: CommitID, startedAtNanos: UInt64, finishedAtNanos: UInt64,
                     sizeBytes: UInt64, rootTreeID: String, description: String)
    /// Deletes a commit without children that no other commit names in its provenance. Branches whose
    /// head it is move to its parent.
    case deleteCommit(Ref)
    /// Creates a branch, or updates an existing one: `head` (when given) becomes its head, `provenance`
    /// replaces its direct provenance.
    case createBranch(BranchKey, head: Ref?, provenance: [BranchKey])
    /// Deletes a branch (not its commits). Refused while other branches take provenance from it, unless
    /// `force`, which removes those edges.
    case deleteBranch(BranchKey, force: Bool)
    /// Records a member's addresses (a founder at its first start, a node about to join); it is up.
    case registerMember(id: UInt64, apiAddress: String, peerAddress: String, atNanos: UInt64)
    /// The leader's liveness verdict on a member, proposed only when it changes.
    case setMemberLiveness(id: UInt64, isUp: Bool, atNanos: UInt64)
    /// Drops a member's record once it left the Raft configuration.
    case forgetMember(id: UInt64)
}

extension MetadataCommand {
    /// Whether the command is about member records rather than PFS data.
    public var changesMembers: Bool {
        switch self {
        case .registerMember, .setMemberLiveness, .forgetMember: return true
        default: return false
        }
    }
}

/// What applying a `MetadataCommand` answers, identical on every node; `encoded` is what the proposer's
/// client receives.
public enum MetadataResult: Sendable, Hashable {
    /// The command succeeded and has nothing to report (the deletes).
    case done
    /// The repo as it is after the command (`createRepo`).
    case repo(RepoInfo)
    /// The branch as it is after the command (`createBranch`).
    case branch(BranchInfo)
    /// The commit as it is after the command (`startCommit`, `finishCommit`).
    case commit(CommitInfo)
    /// The member as it is after the command (`registerMember`, `setMemberLiveness`).
    case member(MemberInfo)
    /// The command was refused and changed nothing.
    case failed(PFSError)
}

/// Limits on free-form arguments, so that one entry cannot bloat every node's state.
public enum MetadataLimits {
    /// The longest repo description, in UTF-8 bytes.
    public static let descriptionBytesMax = 4096
    /// The longest root tree id, in UTF-8 bytes (a hex SHA-256 is 64).
    public static let rootTreeIDBytesMax = 128
    /// The most direct provenance branches one branch may have.
    public static let provenanceCountMax = 256
    /// The most paths one open commit may stage (each costs every node ~100 bytes of memory until the
    /// commit is finished; a finished commit's tree lives in the chunk store).
    public static let stagedPathsMax = 1_000_000
    /// The most writes and guards one stage command may carry (keeps one Raft entry well under 1 MiB).
    public static let stageWritesMax = 4_096
}

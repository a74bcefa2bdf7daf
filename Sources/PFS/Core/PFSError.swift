/// Expected failures of PFS, each with a message a user can act on. Also the failure half of
/// `MetadataResult`, so every case is encoded in the log's answers and must be deterministic: lists in
/// cases are sorted.
public enum PFSError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A repo name, branch name or commit id breaks the naming rules; `why` says which rule.
    case invalidName(kind: String, name: String, why: String)
    /// A ref (`repo@branch^2`) does not parse; `why` says what is wrong.
    case invalidRef(text: String, why: String)
    /// Some other argument is out of range (a description too long, a bad tree id).
    case invalidArgument(String)
    /// `createRepo` of a name that exists.
    case repoExists(RepoName)
    /// No repo has this name.
    case repoNotFound(RepoName)
    /// Branches of other repos take provenance from this repo; deleting it needs `force`.
    case repoHasDependents(RepoName, dependents: [BranchKey])
    /// The repo exists but has no such branch.
    case branchNotFound(BranchKey)
    /// A ref names a branch that has no commit yet.
    case branchHasNoHead(BranchKey)
    /// The branch's head is an open commit started on it; finish or delete that commit first.
    case branchHasOpenCommit(BranchKey, CommitID)
    /// Other branches take provenance from this branch; deleting it needs `force`.
    case branchHasDependents(BranchKey, dependents: [BranchKey])
    /// The provenance would make a cycle; the path starts and ends at the branch being changed.
    case provenanceCycle([BranchKey])
    /// `startCommit` with an id that is already taken (ids are unique cluster-wide).
    case commitExists(CommitID)
    /// No commit has this id.
    case commitNotFound(CommitID)
    /// The ref walks back further than the branch's history goes; `available` generations exist.
    case ancestorNotFound(ref: String, available: UInt32)
    /// The commit exists but in another repo than the one named.
    case commitNotInRepo(CommitID, RepoName)
    /// The commit is finished, and finished commits are immutable.
    case commitFinished(CommitID)
    /// The commit is still open; a new commit can only build on a finished one.
    case commitNotFinished(CommitID)
    /// Only a commit without children can be deleted.
    case commitHasChildren(CommitID, children: [CommitID])
    /// Commits downstream name this commit in their provenance; delete those first.
    case commitHasSubvenance(CommitID, dependents: [CommitID])
    /// No member has this node id.
    case memberNotFound(UInt64)
    /// A write to an open commit was prepared against a view of it that changed at `path` (another write
    /// touched that path or one of its directories); the proposer prepares it again.
    case stagedConflict(CommitID, path: String)
    /// A new commit was prepared on top of `expected`, but the branch head is `actual` now; the proposer
    /// builds it again on the new head.
    case branchHeadMoved(BranchKey, expected: CommitID?, actual: CommitID?)
    /// Finishing was prepared from staged version `expected`, but the commit is at `actual` (a write
    /// landed meanwhile); the proposer builds the tree again.
    case commitChanged(CommitID, expected: UInt64, actual: UInt64)
    /// A size or count limit that keeps one commit from bloating every node's state.
    case limitExceeded(String)
    /// No file or directory at the path in the commit.
    case fileNotFound(path: String, commit: String)
    /// Bytes that should be a metadata command, answer or snapshot do not decode.
    case malformed(String)
    /// Bytes in a format version this node does not know: a newer node wrote them. Upgrade this node.
    case unsupportedVersion(what: String, version: UInt8)
    /// Something other than a repo, branch or commit (a pipeline, a job) does not exist; says what.
    case notFound(String)
    /// Something other than a repo or commit (a pipeline) exists already; says what.
    case alreadyExists(String)
    /// The state does not allow the change (a write to a pipeline's output); says why and what to do.
    case failedPrecondition(String)

    public var description: String {
        switch self {
        case .invalidName(let kind, let name, let why): return "invalid \(kind) name '\(name)': \(why)"
        case .invalidRef(let text, let why): return "invalid ref '\(text)': \(why)"
        case .invalidArgument(let why): return "invalid argument: \(why)"
        case .repoExists(let repo): return "repo \(repo) already exists"
        case .repoNotFound(let repo): return "repo \(repo) not found"
        case .repoHasDependents(let repo, let dependents):
            return "repo \(repo) is provenance of \(Self.list(dependents)); delete those first or use force"
        case .branchNotFound(let key): return "branch \(key) not found"
        case .branchHasNoHead(let key): return "branch \(key) has no commits yet"
        case .branchHasOpenCommit(let key, let id):
            return "branch \(key) has open commit \(id); finish or delete it first"
        case .branchHasDependents(let key, let dependents):
            return "branch \(key) is provenance of \(Self.list(dependents)); change those first or use force"
        case .provenanceCycle(let path):
            return "provenance would form a cycle: \(path.map(\.description).joined(separator: " -> "))"
        case .commitExists(let id): return "commit \(id) already exists"
        case .commitNotFound(let id): return "commit \(id) not found"
        case .ancestorNotFound(let ref, let available):
            return "\(ref) goes back further than the history: only \(available) older commit(s) exist"
        case .commitNotInRepo(let id, let repo): return "commit \(id) is not in repo \(repo)"
        case .commitFinished(let id): return "commit \(id) is finished; finished commits cannot change"
        case .commitNotFinished(let id): return "commit \(id) is still open; finish it before building on it"
        case .commitHasChildren(let id, let children):
            return "commit \(id) has child commit(s) \(Self.list(children)); only a commit without children can be deleted"
        case .commitHasSubvenance(let id, let dependents):
            return "commit \(id) is provenance of \(Self.list(dependents)); delete those first"
        case .memberNotFound(let id): return "node \(id) is not a member of the cluster"
        case .stagedConflict(let id, let path):
            return "commit \(id) changed at '\(path)' while this write was prepared; retry"
        case .branchHeadMoved(let key, let expected, let actual):
            return "branch \(key) moved from \(expected.map(\.description) ?? "no head") to "
                + "\(actual.map(\.description) ?? "no head") while this commit was prepared; retry"
        case .commitChanged(let id, let expected, let actual):
            return "commit \(id) received writes while it was being finished (staged version \(expected) → \(actual)); retry"
        case .limitExceeded(let why): return why
        case .fileNotFound(let path, let commit): return "file \(path) not found in \(commit)"
        case .malformed(let why): return "malformed metadata: \(why)"
        case .unsupportedVersion(let what, let version):
            return "\(what) has format version \(version), which this node does not know; upgrade this node"
        case .notFound(let what), .alreadyExists(let what), .failedPrecondition(let what): return what
        }
    }

    private static func list<T: CustomStringConvertible>(_ items: [T]) -> String {
        let shown = items.prefix(5).map(\.description).joined(separator: ", ")
        return items.count > 5 ? "\(shown) and \(items.count - 5) more" : shown
    }
}

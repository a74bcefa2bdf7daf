import Raft
import Replication
import Synchronization

/// PFS metadata replicated by Raft: a `MetadataState` behind a lock, applied by the Raft driver and read by
/// API handlers.
///
/// Durability: the state lives in memory only. What survives a restart is the Raft snapshot (whose image
/// carries `appliedIndex` inside it, so the index and the data it describes are always saved together,
/// atomically, as `StateMachine` requires) plus the log after it, which the driver replays into a fresh
/// instance. Nothing here writes files.
///
/// Concurrency: the driver calls `apply`, `markApplied`, `snapshot` and `restore` one at a time on its
/// apply thread; queries may come from any thread at any time. Each takes the lock briefly and returns
/// value copies, so no caller ever sees a half-applied command.
public final class MetadataStateMachine: StateMachine {
    /// PFS metadata and the extension's state, under one lock: an extension entry may change both.
    struct Combined: Sendable {
        var pfs: MetadataState
        var more: (any MetadataExtension)?
    }

    private let state: Mutex<Combined>
    /// Bumped after every applied entry and restored snapshot, for callers waiting for a change.
    public let changes = ChangeSignal()
    /// Told every member record after a command changed them or a snapshot replaced them; on the apply
    /// thread, outside the lock. It must not block (the node uses it to point its transport at members).
    private let membersChanged: (@Sendable ([MemberInfo]) -> Void)?

    /// An empty state machine (no repos, `appliedIndex` 0), with `extension` (empty) applied alongside.
    public init(extension more: (any MetadataExtension)? = nil,
                membersChanged: (@Sendable ([MemberInfo]) -> Void)? = nil) {
        state = Mutex(Combined(pfs: MetadataState(), more: more))
        self.membersChanged = membersChanged
    }

    /// A state machine holding `initial`; for tests and tools.
    public init(_ initial: MetadataState, extension more: (any MetadataExtension)? = nil) {
        state = Mutex(Combined(pfs: initial, more: more))
        membersChanged = nil
    }

    // MARK: StateMachine

    /// The index of the last entry reflected in the state.
    public var appliedIndex: UInt64 {
        state.withLock { $0.pfs.appliedIndex }
    }

    /// Decodes the entry's `MetadataCommand`, applies it and returns the encoded `MetadataResult`.
    /// Application refusals and undecodable commands are answers (`.failed`), alike on every node. Only a
    /// command of an unknown format version throws, stopping the node: a newer node wrote it, and
    /// answering it differently from the nodes that understand it would split the replicas.
    public func apply(_ entry: Entry) throws -> [UInt8] {
        if entry.data.first == MetadataExtensionMarker {
            let answer = state.withLock { state -> [UInt8]? in
                Self.advance(&state.pfs, to: entry.index)
                guard var more = state.more else { return nil }
                state.more = nil  // so that the extension's storage is not copied on write
                let answer = more.apply(Array(entry.data.dropFirst()), pfs: &state.pfs)
                state.more = more
                return answer
            }
            changes.bump()
            guard let answer else {
                return MetadataResult.failed(.malformed("an extension entry, but this node runs no extension")).encoded
            }
            return answer
        }
        let command: MetadataCommand
        do {
            command = try MetadataCommand(decoding: entry.data)
        } catch .unsupportedVersion(let what, let version) {
            throw PFSError.unsupportedVersion(what: what, version: version)
        } catch {
            return state.withLock { state in
                Self.advance(&state.pfs, to: entry.index)
                return MetadataResult.failed(error).encoded
            }
        }
        let (answer, members) = state.withLock { state -> ([UInt8], [MemberInfo]?) in
            Self.advance(&state.pfs, to: entry.index)
            if let refusal = state.more?.refusal(of: command, in: state.pfs) {
                return (MetadataResult.failed(refusal).encoded, nil)
            }
            let before = command.changesMembers ? state.pfs.members : nil
            let result = state.pfs.apply(command)
            let changed = before.map { $0 != state.pfs.members } ?? false
            return (result.encoded, changed ? state.pfs.listMembers() : nil)
        }
        if let members { membersChanged?(members) }
        changes.bump()
        return answer
    }

    /// Advances `appliedIndex`; the data is unchanged. Nothing to defer: the next snapshot carries it.
    public func markApplied(through index: UInt64) throws {
        state.withLock { $0.pfs.appliedIndex = max($0.pfs.appliedIndex, index) }
    }

    /// The whole state as a versioned, deterministic image (see `MetadataState.encoded()`), with the
    /// extension's after it (`ExtendedSnapshot`).
    public func snapshot() throws -> [UInt8] {
        state.withLock { state in
            guard let more = state.more else { return state.pfs.encoded() }
            return ExtendedSnapshot.encode(pfs: state.pfs.encoded(), extension: more.encoded())
        }
    }

    /// Replaces the state with `snapshot.data`. The image's own `appliedIndex` may lag the snapshot's
    /// index (entries the driver only marked) but never lead it; afterwards `appliedIndex` is the
    /// snapshot's index. A corrupt or inconsistent image throws and leaves the state as it was.
    public func restore(_ snapshot: Snapshot) throws {
        let (pfsImage, extensionImage) = try ExtendedSnapshot.split(snapshot.data)
        var restored = try MetadataState(decoding: pfsImage)
        guard restored.appliedIndex <= snapshot.metadata.index else {
            throw PFSError.malformed("snapshot image is at index \(restored.appliedIndex), past its metadata "
                + "index \(snapshot.metadata.index)")
        }
        restored.appliedIndex = snapshot.metadata.index
        var more = state.withLock { $0.more }
        try more?.restore(extensionImage, pfs: restored)
        if more == nil && !extensionImage.isEmpty {
            throw PFSError.malformed("the snapshot holds an extension's state, but this node runs no extension")
        }
        state.withLock { $0 = Combined(pfs: restored, more: more) }
        membersChanged?(restored.listMembers())
        changes.bump()
    }

    private static func advance(_ state: inout MetadataState, to index: UInt64) {
        precondition(index > state.appliedIndex, "applying entry \(index) after \(state.appliedIndex)")
        state.appliedIndex = index
    }
}

/// Queries, for API handlers. Each takes the lock for one pure read of the state.
extension MetadataStateMachine {
    /// Every repo, sorted by name.
    public func listRepos() -> [RepoInfo] {
        state.withLock { $0.pfs.listRepos() }
    }

    /// One repo.
    public func inspectRepo(_ name: RepoName) throws(PFSError) -> RepoInfo {
        try read { state throws(PFSError) in try state.inspectRepo(name) }
    }

    /// The branches of `repo`, sorted by name.
    public func listBranches(_ repo: RepoName) throws(PFSError) -> [BranchInfo] {
        try read { state throws(PFSError) in try state.listBranches(repo) }
    }

    /// One branch.
    public func inspectBranch(_ key: BranchKey) throws(PFSError) -> BranchInfo {
        try read { state throws(PFSError) in try state.inspectBranch(key) }
    }

    /// Commits of `repo` newest first (see `MetadataState.listCommits`).
    public func listCommits(_ repo: RepoName, branch: BranchName? = nil, limit: Int = 0) throws(PFSError) -> [CommitInfo] {
        try read { state throws(PFSError) in try state.listCommits(repo, branch: branch, limit: limit) }
    }

    /// The commit `ref` names now.
    public func inspectCommit(_ ref: Ref) throws(PFSError) -> CommitInfo {
        try read { state throws(PFSError) in try state.inspectCommit(ref) }
    }

    /// The id of the commit `ref` names now.
    public func resolve(_ ref: Ref) throws(PFSError) -> CommitID {
        try read { state throws(PFSError) in try state.resolve(ref) }
    }

    /// The commit `ref` names, its parent's root tree id and its staged writes (see `MetadataState.fileView`).
    public func fileView(_ ref: Ref) throws(PFSError) -> (commit: CommitInfo, parentRootTreeID: String, staged: StagedTree) {
        try read { state throws(PFSError) in try state.fileView(ref) }
    }

    /// The head of `key` and whether it is open (see `MetadataState.writeTarget`).
    public func writeTarget(_ key: BranchKey) throws(PFSError) -> (head: CommitInfo?, open: Bool) {
        try read { state throws(PFSError) in try state.writeTarget(key) }
    }

    /// The commits downstream of `id` through provenance (see `MetadataState.downstreamCommits`) and,
    /// transitively, through the extension's (jobs: the job that covered a commit), in creation order;
    /// and what is still due to write more (a pipeline yet to run on one of them). What `wait commit`
    /// waits for.
    public func downstreamCommits(of id: CommitID) -> (commits: [CommitInfo], due: [String]) {
        state.withLock { state in
            var found = Set<CommitID>()
            var due: [String] = []
            var frontier = [id]
            // Bounded: each commit enters the frontier at most once.
            while let next = frontier.popLast() {
                var more = state.pfs.downstreamCommits(of: next).map(\.id)
                if let other = state.more {
                    let (commits, waiting) = other.downstream(of: next, in: state.pfs)
                    more += commits
                    due += waiting
                }
                for commit in more where commit != id && found.insert(commit).inserted { frontier.append(commit) }
            }
            let records = found.compactMap { state.pfs.commits[$0] }.sorted { $0.sequence < $1.sequence }
            return (records.map { state.pfs.commitInfo($0) }, due)
        }
    }

    /// The GC roots (see `MetadataState.gcRoots`).
    public func gcRoots() -> (treeRoots: [String], staged: [StagedTree.Content]) {
        state.withLock { state in
            let roots = state.pfs.gcRoots()
            return (roots.treeRoots + (state.more?.gcTreeRoots() ?? []), roots.staged)
        }
    }

    /// Every member record, sorted by id.
    public func listMembers() -> [MemberInfo] {
        state.withLock { $0.pfs.listMembers() }
    }

    /// The first broken invariant of the current state, or nil (see `MetadataState.invariantViolation()`).
    public func invariantViolation() -> String? {
        state.withLock { $0.pfs.invariantViolation() }
    }

    /// A copy of the whole state, for tests and tools. Cheap to take, but the next `apply` then copies the
    /// state's storage once (copy-on-write), so API handlers should use the queries instead.
    public func currentState() -> MetadataState {
        state.withLock { $0.pfs }
    }

    /// One pure read of the PFS state and the extension's, which must be of type `E`.
    public func readExtension<E: MetadataExtension, T: Sendable>(
        _ type: E.Type, _ body: (borrowing MetadataState, E) throws(PFSError) -> T
    ) throws(PFSError) -> T {
        try state.withLock { state throws(PFSError) -> T in
            guard let more = state.more as? E else { throw .malformed("this state machine has no \(E.self)") }
            return try body(state.pfs, more)
        }
    }

    private func read<T: Sendable>(_ body: (borrowing MetadataState) throws(PFSError) -> T) throws(PFSError) -> T {
        try state.withLock { state throws(PFSError) -> T in try body(state.pfs) }
    }
}

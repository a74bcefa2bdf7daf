import GRPCCore
import PFS
import Raft
import Replication

/// Turns a call's file intents into metadata: into the open head commit of a branch (staged, a batch
/// per stage command), or into one new finished commit built on the branch head. Either way the bytes
/// are already durable; this only resolves paths and proposes.
///
/// Both paths are optimistic and retry on their own conflicts, re-resolving the intents against the
/// new state (no bytes are sent again): a new commit whose branch head moved is built again on the new
/// head (`branchHeadMoved`), and a stage batch that raced with a write to a related path of the same
/// open commit is resolved again (`stagedConflict`). A head that became open meanwhile turns a new
/// commit into a staged write, and the reverse.
struct FileCommitter: Sendable {
    /// Where a call writes.
    enum Target: Sendable {
        /// A branch: its open head, or a new commit on it (the branch is created when missing).
        case branch(BranchKey)
        /// An open commit by id.
        case openCommit(Ref)
    }

    /// What the call made.
    struct Outcome: Sendable {
        var commit: CommitInfo
        /// Whether the call made `commit` (else it staged into an open one).
        var newCommit: Bool
    }

    let metadata: MetadataStateMachine
    let trees: TreeReader
    /// Proposes a command under a session and answers the state machine's result, refusals included.
    let propose: @Sendable (MetadataCommand, CallSession) async throws(RPCError) -> MetadataResult
    /// Waits for a linearizable read point.
    let readPoint: @Sendable () async throws(RPCError) -> Void
    /// Proposer time in nanoseconds.
    let now: @Sendable () -> UInt64
    /// Attempts before a contended write gives up with ABORTED.
    var attemptsMax = 32

    /// Records `intents` in `target`. The first proposal that can complete the call goes under
    /// `session` (so a client's retry of the whole call on another node is answered from Raft's session
    /// cache instead of applying twice); retries after a refusal use fresh sessions.
    func commit(_ intents: [FileIntent], to target: Target, description: String,
                session: CallSession) async throws -> Outcome {
        var sessionUsed = false
        func nextSession() -> CallSession {
            defer { sessionUsed = true }
            if !sessionUsed { return session }
            var generator = SystemRandomNumberGenerator()
            return CallSession.fresh(using: &generator)
        }
        for _ in 0..<attemptsMax {
            try await readPoint()
            let key: BranchKey
            switch target {
            case .openCommit(let ref):
                return try await stage(intents, into: ref, session: nextSession)
            case .branch(let branch):
                key = branch
            }
            let (head, open) = try query { (state) throws(PFSError) in try state.writeTarget(key) }
            if let head, open {
                return try await stage(intents, into: .commit(head.id, in: key.repo), session: nextSession)
            }
            let base = try Self.root(head?.rootTreeID ?? "")
            let built: TreeBuilder.Result
            do { built = try await NewCommitResolver.build(base: base, intents: intents, reader: trees) } catch {
                throw StatusMapping.rpcError(forFiles: error)
            }
            var generator = SystemRandomNumberGenerator()
            let stamp = now()
            let command = MetadataCommand.commitFiles(
                key, parent: head?.id, id: CommitID.random(using: &generator), startedAtNanos: stamp,
                finishedAtNanos: stamp, sizeBytes: built.sizeBytes, rootTreeID: built.root?.hex ?? "",
                description: description)
            switch try await propose(command, nextSession()) {
            case .commit(let info):
                return Outcome(commit: info, newCommit: true)
            case .failed(.branchHeadMoved), .failed(.branchHasOpenCommit):
                continue
            case .failed(let refusal):
                throw StatusMapping.rpcError(for: refusal)
            case let other:
                throw StatusMapping.unexpectedAnswer(other, for: "commitFiles")
            }
        }
        throw RPCError(code: .aborted, message: "branch kept moving while this write was prepared (\(attemptsMax) attempts); retry")
    }

    /// Stages `intents` into the open commit `ref` names, batch by batch.
    private func stage(_ intents: [FileIntent], into ref: Ref,
                       session: () -> CallSession) async throws -> Outcome {
        var done = 0
        var nextPiece: [PFSPath: UInt64] = [:]
        var conflicts = 0
        var last: CommitInfo?
        while done < intents.count || last == nil {
            let view = try query { (state) throws(PFSError) in try state.fileView(ref) }
            guard !view.commit.isFinished else {
                throw StatusMapping.rpcError(for: .commitFinished(view.commit.id))
            }
            let commitView = CommitView(parentRoot: try Self.root(view.parentRootTreeID), staged: view.staged, reader: trees)
            let batch: StagedResolver.Batch
            do {
                batch = try await StagedResolver.nextBatch(intents[done...], view: commitView, commit: view.commit.id,
                                                           nextPiece: &nextPiece)
            } catch {
                throw StatusMapping.rpcError(forFiles: error)
            }
            let command = MetadataCommand.stageFiles(.commit(view.commit.id, in: ref.repo), basedOn: view.staged.version,
                                                     writes: batch.writes, guards: batch.guards)
            switch try await propose(command, done + batch.consumed == intents.count && conflicts == 0 ? session() : Self.fresh()) {
            case .commit(let info):
                last = info
                done += batch.consumed
            case .failed(.stagedConflict):
                conflicts += 1
                guard conflicts < attemptsMax else {
                    throw RPCError(code: .aborted, message: "commit \(view.commit.id) kept changing at the paths of this write "
                                   + "(\(attemptsMax) attempts); retry")
                }
                nextPiece = [:]
                try await readPoint()
            case .failed(let refusal):
                throw StatusMapping.rpcError(for: refusal)
            case let other:
                throw StatusMapping.unexpectedAnswer(other, for: "stageFiles")
            }
        }
        return Outcome(commit: last!, newCommit: false)
    }

    private static func fresh() -> CallSession {
        var generator = SystemRandomNumberGenerator()
        return CallSession.fresh(using: &generator)
    }

    private func query<T>(_ body: (MetadataStateMachine) throws(PFSError) -> T) throws(RPCError) -> T {
        do { return try body(metadata) } catch { throw StatusMapping.rpcError(for: error) }
    }

    /// A root tree id as recorded ("" for none).
    static func root(_ hex: String) throws(RPCError) -> ChunkID? {
        guard !hex.isEmpty else { return nil }
        guard let id = ChunkID(hex: hex) else {
            throw RPCError(code: .internalError, message: "internal error: a commit records root tree id '\(hex)'")
        }
        return id
    }
}

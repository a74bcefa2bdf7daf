import GRPCCore
import PFS
import PachAPI

/// WaitCommit (Pachyderm's flush-commit) and SubscribeCommit: long calls that wake on every applied
/// entry (`MetadataStateMachine.changes`) instead of polling, and end when the client cancels or its
/// deadline passes.
extension PfsService {
    func waitCommit(request: ServerRequest<Pfs_WaitCommitRequest>,
                    context: ServerContext) async throws -> StreamingServerResponse<Pfs_CommitInfo> {
        let message = request.message
        let ref = try validated { () throws(PFSError) in
            try PfsArguments.ref(in: try PfsArguments.repo(message.repo), message.ref)
        }
        try await readPoint(request.metadata, context, rpc: "WaitCommit")
        // Pin the commit now: a branch head that moves on later is not what the caller waits for.
        let id = try query { (state) throws(PFSError) in try state.resolve(ref) }
        let pinned = Ref.commit(id, in: ref.repo)
        let signal = backend.metadata.changes
        var seen = signal.current
        while true {
            let commit = try query { (state) throws(PFSError) in try state.inspectCommit(pinned) }
            let (downstream, due) = backend.metadata.downstreamCommits(of: id)
            if commit.isFinished && downstream.allSatisfy(\.isFinished) && due.isEmpty {
                let all = [commit] + downstream
                return StreamingServerResponse { writer in
                    try await writer.write(contentsOf: all.map(Pfs_CommitInfo.init))
                    return [:]
                }
            }
            seen = try await Self.waitForChange(signal, after: seen, context, request.metadata)
        }
    }

    func subscribeCommit(request: ServerRequest<Pfs_SubscribeCommitRequest>,
                         context: ServerContext) async throws -> StreamingServerResponse<Pfs_CommitInfo> {
        let message = request.message
        let key = try validated { () throws(PFSError) in
            try PfsArguments.branch(try PfsArguments.repo(message.repo), message.branch)
        }
        try await readPoint(request.metadata, context, rpc: "SubscribeCommit")
        _ = try query { (state) throws(PFSError) in try state.inspectBranch(key) }
        let metadata = backend.metadata
        var delivered = Set<CommitID>()
        if message.newOnly {
            delivered = Set(try Self.finished(on: key, metadata).map(\.id))
        }
        let initial = delivered
        let requestMetadata = request.metadata
        return StreamingServerResponse { writer in
            var delivered = initial
            var seen = metadata.changes.current
            while true {
                let fresh = (try? Self.finished(on: key, metadata))?.filter { !delivered.contains($0.id) } ?? []
                for commit in fresh {
                    try await writer.write(Pfs_CommitInfo(commit))
                    delivered.insert(commit.id)
                }
                seen = try await Self.waitForChange(metadata.changes, after: seen, context, requestMetadata)
            }
        }
    }

    /// The finished commits started on `key`, oldest first.
    private static func finished(on key: BranchKey, _ metadata: MetadataStateMachine) throws(PFSError) -> [CommitInfo] {
        try metadata.listCommits(key.repo).filter { $0.branch == key.branch && $0.isFinished }.reversed()
    }

    /// Waits for the next change of the metadata, or throws the status of an RPC that ended meanwhile
    /// (cancelled by the client, or past its deadline: gRPC signals both through the context, not by
    /// cancelling the handler's task).
    private static func waitForChange(_ signal: ChangeSignal, after seen: UInt64, _ context: ServerContext,
                                      _ metadata: Metadata) async throws(RPCError) -> UInt64 {
        let ended = hasDeadline(metadata)
            ? RPCError(code: .deadlineExceeded, message: "the deadline passed while waiting")
            : RPCError(code: .cancelled, message: "the call was cancelled")
        if context.cancellation.isCancelled { throw ended }
        let next = await withTaskGroup(of: UInt64?.self) { group in
            group.addTask { await signal.wait(after: seen) }
            group.addTask {
                try? await context.cancellation.cancelled
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let next, !context.cancellation.isCancelled else { throw ended }
        return next
    }
}

import GRPCCore
import PFS
import PachAPI

/// Commits: StartCommit, FinishCommit, InspectCommit, ListCommit (streamed), DeleteCommit.
extension PfsService {
    func startCommit(request: ServerRequest<Pfs_StartCommitRequest>,
                     context: ServerContext) async throws -> ServerResponse<Pfs_Commit> {
        let message = request.message
        // The proposer draws the id: `apply` may not use randomness.
        var generator = SystemRandomNumberGenerator()
        let id = CommitID.random(using: &generator)
        let command = try validated { () throws(PFSError) in
            let repo = try PfsArguments.repo(message.repo)
            // PFS records every commit on a branch; commits on no branch are not supported yet.
            guard !message.branch.isEmpty else {
                throw .invalidArgument("StartCommit needs a branch (e.g. master); commits on no branch "
                                       + "are not supported")
            }
            return MetadataCommand.startCommit(repo: repo, branch: try BranchName(message.branch),
                                               parent: try PfsArguments.optionalRef(in: repo, message.parent),
                                               id: id, startedAtNanos: now(),
                                               description: try PfsArguments.description(message.description_p))
        }
        let result = try await propose(command, request.metadata, context, rpc: "StartCommit")
        return ServerResponse(message: Pfs_Commit(try commitInfo(result, rpc: "StartCommit")))
    }

    /// Builds the commit's tree from its parent's and the staged writes (storing the new directory
    /// objects, durable, before anything is proposed), then proposes the finish with the root id and the
    /// staged version it was built from; a write that landed meanwhile makes it build again.
    func finishCommit(request: ServerRequest<Pfs_FinishCommitRequest>,
                      context: ServerContext) async throws -> ServerResponse<Pfs_CommitInfo> {
        let message = request.message
        let (ref, description) = try validated { () throws(PFSError) in
            (try PfsArguments.ref(in: try PfsArguments.repo(message.repo), message.ref),
             try PfsArguments.description(message.description_p))
        }
        let storage = try fileStorage()
        let inFlight = storage.uploads.begin()
        defer { inFlight.finish() }
        var session = try CallSession(metadata: request.metadata)
        for _ in 0..<32 {
            try await readPoint(request.metadata, context, rpc: "FinishCommit")
            let view = try query { (state) throws(PFSError) in try state.fileView(ref) }
            guard !view.commit.isFinished else { throw StatusMapping.rpcError(for: .commitFinished(view.commit.id)) }
            let parentRoot = try FileCommitter.root(view.parentRootTreeID)
            let built = try await Self.readTree {
                try await TreeBuilder.build(base: parentRoot, changes: view.staged.changes, reader: storage.trees)
            }
            let command = MetadataCommand.finishCommit(
                .commit(view.commit.id, in: view.commit.repo), finishedAtNanos: now(), sizeBytes: built.sizeBytes,
                rootTreeID: built.root?.hex ?? "", stagedVersion: view.staged.version, description: description)
            let result = try await proposeResult(command, session: session, request.metadata, context, rpc: "FinishCommit")
            switch result {
            case .failed(.commitChanged):
                var generator = SystemRandomNumberGenerator()
                session = CallSession.fresh(using: &generator)
                continue
            case .failed(let refusal):
                throw StatusMapping.rpcError(for: refusal)
            default:
                return ServerResponse(message: Pfs_CommitInfo(try commitInfo(result, rpc: "FinishCommit")))
            }
        }
        throw RPCError(code: .aborted, message: "the commit kept receiving writes while it was being finished; retry")
    }

    func inspectCommit(request: ServerRequest<Pfs_InspectCommitRequest>,
                       context: ServerContext) async throws -> ServerResponse<Pfs_CommitInfo> {
        let message = request.message
        let ref = try validated { () throws(PFSError) in
            try PfsArguments.ref(in: try PfsArguments.repo(message.repo), message.ref)
        }
        try await readPoint(request.metadata, context, rpc: "InspectCommit")
        let info = try query { (state) throws(PFSError) in try state.inspectCommit(ref) }
        return ServerResponse(message: Pfs_CommitInfo(info))
    }

    func listCommit(request: ServerRequest<Pfs_ListCommitRequest>,
                    context: ServerContext) async throws -> StreamingServerResponse<Pfs_CommitInfo> {
        let message = request.message
        let (repo, branch) = try validated { () throws(PFSError) in
            let repo = try PfsArguments.repo(message.repo)
            return (repo, try message.branch.isEmpty ? nil : BranchName(message.branch))
        }
        try await readPoint(request.metadata, context, rpc: "ListCommit")
        // Read once, under one lock, so the stream is one consistent snapshot of the history.
        let commits = try query { (state) throws(PFSError) in
            try state.listCommits(repo, branch: branch, limit: PfsArguments.limit(message.limit))
        }
        return StreamingServerResponse { writer in
            for commit in commits { try await writer.write(Pfs_CommitInfo(commit)) }
            return [:]
        }
    }

    func deleteCommit(request: ServerRequest<Pfs_DeleteCommitRequest>,
                      context: ServerContext) async throws -> ServerResponse<Pfs_DeleteCommitResponse> {
        let message = request.message
        let command = try validated { () throws(PFSError) in
            let repo = try PfsArguments.repo(message.repo)
            return MetadataCommand.deleteCommit(.commit(try PfsArguments.commitID(message.id), in: repo))
        }
        let result = try await propose(command, request.metadata, context, rpc: "DeleteCommit")
        try expectDone(result, rpc: "DeleteCommit")
        return ServerResponse(message: Pfs_DeleteCommitResponse())
    }
}

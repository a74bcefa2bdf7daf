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
            _ = try PfsArguments.description(message.description_p)
            return MetadataCommand.startCommit(repo: repo, branch: try BranchName(message.branch),
                                               parent: try PfsArguments.optionalRef(in: repo, message.parent),
                                               id: id, startedAtNanos: now())
        }
        let result = try await propose(command, request.metadata, context, rpc: "StartCommit")
        return ServerResponse(message: Pfs_Commit(try commitInfo(result, rpc: "StartCommit")))
    }

    func finishCommit(request: ServerRequest<Pfs_FinishCommitRequest>,
                      context: ServerContext) async throws -> ServerResponse<Pfs_CommitInfo> {
        let message = request.message
        let command = try validated { () throws(PFSError) in
            let ref = try PfsArguments.ref(in: try PfsArguments.repo(message.repo), message.ref)
            _ = try PfsArguments.description(message.description_p)
            // No files yet, so every commit is empty: size 0 and no tree. The proposer will build the
            // tree and supply its id here once PutFile exists.
            return MetadataCommand.finishCommit(ref, finishedAtNanos: now(), sizeBytes: 0, rootTreeID: "")
        }
        let result = try await propose(command, request.metadata, context, rpc: "FinishCommit")
        return ServerResponse(message: Pfs_CommitInfo(try commitInfo(result, rpc: "FinishCommit")))
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

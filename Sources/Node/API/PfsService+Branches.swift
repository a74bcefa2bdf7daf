import GRPCCore
import PFS
import PachAPI

/// Branches: CreateBranch, InspectBranch, ListBranch, DeleteBranch.
extension PfsService {
    func createBranch(request: ServerRequest<Pfs_CreateBranchRequest>,
                      context: ServerContext) async throws -> ServerResponse<Pfs_BranchInfo> {
        let message = request.message
        let command = try validated { () throws(PFSError) in
            let repo = try PfsArguments.repo(message.repo)
            return MetadataCommand.createBranch(try PfsArguments.branch(repo, message.branch),
                                                head: try PfsArguments.optionalRef(in: repo, message.head),
                                                provenance: try PfsArguments.provenance(message.provenance))
        }
        let result = try await propose(command, request.metadata, context, rpc: "CreateBranch")
        return ServerResponse(message: Pfs_BranchInfo(try branchInfo(result, rpc: "CreateBranch")))
    }

    func inspectBranch(request: ServerRequest<Pfs_InspectBranchRequest>,
                       context: ServerContext) async throws -> ServerResponse<Pfs_BranchInfo> {
        let message = request.message
        let key = try validated { () throws(PFSError) in
            try PfsArguments.branch(try PfsArguments.repo(message.repo), message.branch)
        }
        try await readPoint(request.metadata, context, rpc: "InspectBranch")
        let info = try query { (state) throws(PFSError) in try state.inspectBranch(key) }
        return ServerResponse(message: Pfs_BranchInfo(info))
    }

    func listBranch(request: ServerRequest<Pfs_ListBranchRequest>,
                    context: ServerContext) async throws -> ServerResponse<Pfs_ListBranchResponse> {
        let repo = try validated { () throws(PFSError) in try PfsArguments.repo(request.message.repo) }
        try await readPoint(request.metadata, context, rpc: "ListBranch")
        var response = Pfs_ListBranchResponse()
        response.branches = try query { (state) throws(PFSError) in try state.listBranches(repo) }
            .map(Pfs_BranchInfo.init)
        return ServerResponse(message: response)
    }

    func deleteBranch(request: ServerRequest<Pfs_DeleteBranchRequest>,
                      context: ServerContext) async throws -> ServerResponse<Pfs_DeleteBranchResponse> {
        let message = request.message
        let command = try validated { () throws(PFSError) in
            let key = try PfsArguments.branch(try PfsArguments.repo(message.repo), message.branch)
            return MetadataCommand.deleteBranch(key, force: message.force)
        }
        let result = try await propose(command, request.metadata, context, rpc: "DeleteBranch")
        try expectDone(result, rpc: "DeleteBranch")
        return ServerResponse(message: Pfs_DeleteBranchResponse())
    }
}

import GRPCCore
import PFS
import PachAPI

/// Repos: CreateRepo, InspectRepo, ListRepo, DeleteRepo.
extension PfsService {
    func createRepo(request: ServerRequest<Pfs_CreateRepoRequest>,
                    context: ServerContext) async throws -> ServerResponse<Pfs_RepoInfo> {
        let message = request.message
        let command = try validated { () throws(PFSError) in
            MetadataCommand.createRepo(try PfsArguments.repo(message.name),
                                       description: try PfsArguments.description(message.description_p),
                                       createdAtNanos: now())
        }
        let result = try await propose(command, request.metadata, context, rpc: "CreateRepo")
        return ServerResponse(message: Pfs_RepoInfo(try repoInfo(result, rpc: "CreateRepo")))
    }

    func inspectRepo(request: ServerRequest<Pfs_InspectRepoRequest>,
                     context: ServerContext) async throws -> ServerResponse<Pfs_RepoInfo> {
        let name = try validated { () throws(PFSError) in try PfsArguments.repo(request.message.name) }
        try await readPoint(request.metadata, context, rpc: "InspectRepo")
        let info = try query { (state) throws(PFSError) in try state.inspectRepo(name) }
        return ServerResponse(message: Pfs_RepoInfo(info))
    }

    func listRepo(request: ServerRequest<Pfs_ListRepoRequest>,
                  context: ServerContext) async throws -> ServerResponse<Pfs_ListRepoResponse> {
        try await readPoint(request.metadata, context, rpc: "ListRepo")
        var response = Pfs_ListRepoResponse()
        response.repos = backend.metadata.listRepos().map(Pfs_RepoInfo.init)
        return ServerResponse(message: response)
    }

    func deleteRepo(request: ServerRequest<Pfs_DeleteRepoRequest>,
                    context: ServerContext) async throws -> ServerResponse<Pfs_DeleteRepoResponse> {
        let message = request.message
        let command = try validated { () throws(PFSError) in
            MetadataCommand.deleteRepo(try PfsArguments.repo(message.name), force: message.force)
        }
        let result = try await propose(command, request.metadata, context, rpc: "DeleteRepo")
        try expectDone(result, rpc: "DeleteRepo")
        return ServerResponse(message: Pfs_DeleteRepoResponse())
    }
}

import GRPCCore
import Logging

/// The services every node serves to clients (`pfs.API`, `pps.API`, `admin.API`), answering from `backend`.
/// Register them with the API server together with `makeAuthInterceptors(backend:)`.
func makePublicServices(backend: some APIBackend,
                               logger: Logger = Logger(label: "pachd.api")) -> [any RegistrableRPCService] {
    [PfsService(backend: backend, logger: logger), AdminService(backend: backend), PpsService(backend: backend, logger: logger)]
}

/// The interceptors the API server MUST install for the public services: the token check. (Apply them
/// to all methods; the check itself lets `admin.API/Health` through.)
func makeAuthInterceptors(backend: some APIBackend,
                                 logger: Logger = Logger(label: "pachd.api.auth")) -> [any ServerInterceptor] {
    [TokenAuthInterceptor(expectedSHA256: backend.adminTokenSHA256, logger: logger)]
}

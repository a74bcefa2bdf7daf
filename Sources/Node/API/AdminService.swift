import GRPCCore
import PachAPI
import Raft

/// The public `admin.API` service: version, cluster status and health. `Health` is also open to
/// unauthenticated callers (see `TokenAuthInterceptor.exemptMethods`), so probes need no token.
struct AdminService<Backend: APIBackend>: Admin_API.SimpleServiceProtocol {
    /// The node, as far as the API sees it.
    let backend: Backend

    /// A service answering from `backend`.
    init(backend: Backend) {
        self.backend = backend
    }

    func version(request: Admin_VersionRequest, context: ServerContext) async throws -> Admin_VersionResponse {
        var response = Admin_VersionResponse()
        response.version = backend.version
        return response
    }

    /// Asks the peer layer, which itself bounds how long it waits for each peer; the race only keeps a
    /// caller with a short deadline from waiting for the slowest peer.
    func clusterStatus(request: Admin_ClusterStatusRequest,
                       context: ServerContext) async throws -> Admin_ClusterStatusResponse {
        let backend = self.backend
        // The simple protocol hides request metadata; a cancelled RPC is reported as CANCELLED.
        return try await CallDeadline.run(context, hasDeadline: false) { () async throws(RPCError) in
            await backend.clusterStatus()
        }
    }

    func removeNode(request: Admin_RemoveNodeRequest,
                    context: ServerContext) async throws -> Admin_RemoveNodeResponse {
        guard request.nodeID != 0 else { throw RPCError(code: .invalidArgument, message: "node id 0 is not valid") }
        try await backend.removeNode(request.nodeID)
        var response = Admin_RemoveNodeResponse()
        response.removedBy = backend.nodeID
        return response
    }

    func health(request: Admin_HealthRequest, context: ServerContext) async throws -> Admin_HealthResponse {
        HealthCheck.evaluate(backend.raftStatus, nodeID: backend.nodeID)
    }
}

/// Whether a node can serve reads and writes now, from its own Raft status alone (no peer is asked, so
/// a probe is cheap and never hangs).
enum HealthCheck {
    /// How many committed entries a node may have left to apply and still call itself serving: a node
    /// further behind would make every linearizable read wait for it to catch up.
    static let applyLagEntriesMax: UInt64 = 1_000

    /// SERVING when the node runs, knows a leader and has applied nearly everything committed;
    /// NOT_SERVING with the reason otherwise.
    static func evaluate(_ status: RaftStatus, nodeID: UInt64) -> Admin_HealthResponse {
        var response = Admin_HealthResponse()
        response.nodeID = nodeID
        response.status = .notServing
        let lag = status.commitIndex > status.appliedIndex ? status.commitIndex - status.appliedIndex : 0
        if !status.isRunning {
            response.message = "the node is starting or shutting down"
        } else if status.leader == noNode {
            response.message = "no leader is known: an election is in progress or this node cannot reach "
                + "a majority of the cluster"
        } else if lag > applyLagEntriesMax {
            response.message = "catching up: applied \(status.appliedIndex) of \(status.commitIndex) "
                + "committed entries"
        } else {
            response.status = .serving
        }
        return response
    }
}

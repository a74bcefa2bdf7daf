import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import PFS
import PachAPI
import PachctlKit
import Synchronization

/// A mount's link to the cluster: one gRPC client to one node at a time, kept open across calls (a
/// mount makes many small calls; a TLS handshake each would dominate). A call that finds its node
/// unreachable closes that client, moves to the next address, and is made again there; when no address
/// answers it fails with `unavailable` (EIO to the reader), never hangs: every call has a deadline.
final class MountConnection: Sendable {
    let session: Session
    private let current = Mutex<(next: Int, open: Connected?)>((0, nil))

    /// An open client, the task running its connections, and which address it reaches.
    final class Connected: Sendable {
        let clients: Clients
        let grpc: GRPCClient<HTTP2ClientTransport.Posix>
        let runner: Task<Void, Never>

        init(clients: Clients, grpc: GRPCClient<HTTP2ClientTransport.Posix>, runner: Task<Void, Never>) {
            self.clients = clients
            self.grpc = grpc
            self.runner = runner
        }
    }

    init(session: Session) {
        self.session = session
    }

    var endpoints: [NodeAddress] { session.settings.endpoints }

    /// The node calls go to now.
    var endpoint: NodeAddress? { current.withLock { $0.open?.clients.endpoint } }

    /// Runs `body` with the current node's clients, moving on to the next address while the node
    /// cannot be reached (two rounds over the list, a short pause between them).
    func call<T: Sendable>(_ body: @Sendable (Clients) async throws -> T) async throws -> T {
        var failures: [String] = []
        for attempt in 0..<(2 * endpoints.count) {
            if attempt == endpoints.count { try? await Task.sleep(for: .milliseconds(500)) }
            let connected = try connect()
            do {
                return try await body(connected.clients)
            } catch let rpc as RPCError where Failover.movesOn(rpc.code) {
                failures.append("\(connected.clients.endpoint): \(ErrorCause.summarize(rpc, timeout: session.settings.timeout))")
                drop(connected)
            } catch let rpc as RPCError {
                throw Self.sourceError(rpc)
            }
        }
        throw ClusterSourceError.unavailable("no node answered: " + failures.suffix(endpoints.count).joined(separator: "; "))
    }

    /// Closes the client.
    func close() {
        if let open = current.withLock({ state -> Connected? in
            defer { state.open = nil }
            return state.open
        }) {
            open.grpc.beginGracefulShutdown()
        }
    }

    private func connect() throws -> Connected {
        try current.withLock { state in
            if let open = state.open { return open }
            let endpoint = endpoints[state.next % endpoints.count]
            let interceptors: [any ClientInterceptor] = session.settings.token.map { [BearerTokenInterceptor(token: $0)] } ?? []
            let grpc = GRPCClient(transport: try session.makeTransport(endpoint), interceptors: interceptors)
            let runner = Task { _ = try? await grpc.runConnections() }
            var options = CallOptions.defaults
            options.timeout = session.settings.timeout
            options.waitForReady = false
            let clients = Clients(pfs: Pfs_API.Client(wrapping: grpc), admin: Admin_API.Client(wrapping: grpc),
                                  objects: Pfs_ObjectAPI.Client(wrapping: grpc), pps: Pps_API.Client(wrapping: grpc),
                                  endpoint: endpoint, options: options)
            let connected = Connected(clients: clients, grpc: grpc, runner: runner)
            state.open = connected
            return connected
        }
    }

    /// Forgets a client that failed (unless another call already replaced it) and moves to the next address.
    private func drop(_ failed: Connected) {
        let dropped = current.withLock { state -> Bool in
            guard state.open === failed else { return false }
            state.open = nil
            state.next += 1
            return true
        }
        if dropped { failed.grpc.beginGracefulShutdown() }
    }

    static func sourceError(_ rpc: RPCError) -> ClusterSourceError {
        switch rpc.code {
        case .notFound: return .notFound
        case .permissionDenied, .unauthenticated: return .permissionDenied(rpc.message)
        case .invalidArgument: return .invalid(rpc.message)
        case .resourceExhausted: return .noSpace(rpc.message)
        default: return .failed("\(rpc.code): \(rpc.message)")
        }
    }
}

import GRPCCore
import GRPCNIOTransportHTTP2

/// The two gRPC servers of a node.
enum NodeServers {
    typealias Server = GRPCServer<HTTP2ServerTransport.Posix>

    /// The peer server (Raft's `raftpb.Peer` and the chunk API `chunkpb.Chunks`): mutual TLS, a request limit that fits Raft's batches and snapshot chunks, and
    /// keepalive matched to the peers' clients (which ping every second; the default policy would
    /// take that for abuse and close the connection).
    static func peer(address: HostPort, tls: NodeConfig.TLSFiles, services: [any RegistrableRPCService]) -> Server {
        let transport = HTTP2ServerTransport.Posix(
            address: address.socketAddress,
            transportSecurity: PeerTLS.peerServer(tls),
            config: .defaults { config in
                config.rpc.maxRequestPayloadSize = 64 << 20
                config.connection.keepalive = .init(
                    time: .seconds(2), timeout: .seconds(2),
                    clientBehavior: .init(minPingIntervalWithoutCalls: .milliseconds(500), allowWithoutCalls: true))
            })
        return GRPCServer(transport: transport, services: services)
    }

    /// The public API server: TLS (clients verify the cluster CA and present a token, which
    /// `interceptors` check).
    static func api(address: HostPort, tls: NodeConfig.TLSFiles, services: [any RegistrableRPCService],
                    interceptors: [any ServerInterceptor]) -> Server {
        let transport = HTTP2ServerTransport.Posix(
            address: address.socketAddress,
            transportSecurity: PeerTLS.apiServer(tls),
            config: .defaults { config in
                // put-file streams chunks of up to 4 MiB plus framing.
                config.rpc.maxRequestPayloadSize = 8 << 20
            })
        return GRPCServer(transport: transport, services: services, interceptors: interceptors)
    }

    /// The address `server` listens on, once bound (resolves an ephemeral port 0).
    static func boundAddress(of server: Server, configured: HostPort) async throws -> HostPort {
        HostPort(try await server.transport.listeningAddress) ?? configured
    }
}

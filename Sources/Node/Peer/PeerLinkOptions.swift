import GRPCNIOTransportHTTP2
import Logging
import Raft

/// What every link of a `GRPCPeerTransport` shares: who we are, how to reach peers, and the limits.
struct PeerLinkOptions: Sendable {
    var identity: PeerIdentity
    var tls: NodeConfig.TLSFiles
    /// Sent in Hello, for the peer's diagnostics.
    var version = PachdVersion.current
    var apiAddress = ""
    var peerAddress = ""
    var outbox = PeerOutbox.Limits()
    /// Messages are packed into Stream requests of at most this many bytes (a single larger message goes
    /// alone); well under the peer server's request limit.
    var requestBytesMax = 2 << 20
    /// InstallSnapshot data chunk size (raft.proto: at most 1 MiB).
    var snapshotChunkBytes = 1 << 20
    var helloTimeout: Duration = .seconds(2)
    var reconnectInitial: Duration = .milliseconds(50)
    var reconnectMax: Duration = .seconds(1)
    /// A snapshot transfer may take this long plus one second per `snapshotBytesPerSecond`.
    var snapshotTimeoutBase: Duration = .seconds(30)
    var snapshotBytesPerSecond = 8 << 20

    init(identity: PeerIdentity, tls: NodeConfig.TLSFiles) {
        self.identity = identity
        self.tls = tls
    }

    /// The client transport to `peer` at `address`: mTLS, the authority its certificate must name,
    /// keepalive pings so that a silently dead connection (a partition, no RST) is noticed in seconds
    /// rather than at TCP's timeout, and a quick reconnect.
    func clientTransport(to peer: NodeID, at address: HostPort) throws -> HTTP2ClientTransport.Posix {
        try HTTP2ClientTransport.Posix(
            target: address.resolvableTarget,
            transportSecurity: PeerTLS.peerClient(tls),
            config: .defaults { config in
                config.http2.authority = PeerTLS.authority(of: peer)
                config.backoff = .init(initial: reconnectInitial, max: reconnectMax, multiplier: 2, jitter: 0.1)
                config.connection.keepalive = .init(time: .seconds(1), timeout: .seconds(2), allowWithoutCalls: true)
            })
    }

    /// The snapshot deadline for `bytes` of data.
    func snapshotTimeout(bytes: Int) -> Duration {
        snapshotTimeoutBase + .seconds(bytes / Swift.max(1, snapshotBytesPerSecond))
    }
}

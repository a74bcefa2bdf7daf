import GRPCNIOTransportHTTP2
import Raft

/// The TLS settings of pachd's connections, all from the node's certificate files.
///
/// Peers use mutual TLS: the server demands a client certificate that chains to the cluster CA, so a
/// process without one is refused during the handshake, before any RPC runs; the client checks that
/// the server's certificate, also from the cluster CA, names `node<id>` of the peer it meant to reach.
enum PeerTLS {
    /// The name a client expects in peer `id`'s certificate (SAN `DNS:node<id>`): connecting to the
    /// wrong node's address fails the handshake instead of talking to a stranger.
    static func authority(of id: NodeID) -> String {
        "node\(id)"
    }

    /// The peer server: our certificate, client certificates required and verified against the CA.
    static func peerServer(_ files: NodeConfig.TLSFiles) -> HTTP2ServerTransport.Posix.TransportSecurity {
        .mTLS(certificateChain: [.file(path: files.certificate, format: .pem)],
              privateKey: .file(path: files.privateKey, format: .pem)) { tls in
            tls.trustRoots = .certificates([.file(path: files.certificateAuthority, format: .pem)])
        }
    }

    /// A client of a peer server: our certificate as the client identity; the server must chain to the CA.
    static func peerClient(_ files: NodeConfig.TLSFiles) -> HTTP2ClientTransport.Posix.TransportSecurity {
        .mTLS(certificateChain: [.file(path: files.certificate, format: .pem)],
              privateKey: .file(path: files.privateKey, format: .pem)) { tls in
            tls.trustRoots = .certificates([.file(path: files.certificateAuthority, format: .pem)])
        }
    }

    /// The public API server: TLS with our certificate; clients authenticate with a token, not a
    /// certificate, so none is requested.
    static func apiServer(_ files: NodeConfig.TLSFiles) -> HTTP2ServerTransport.Posix.TransportSecurity {
        .tls(certificateChain: [.file(path: files.certificate, format: .pem)],
             privateKey: .file(path: files.privateKey, format: .pem))
    }
}

extension HostPort {
    /// Where a server binds.
    var socketAddress: GRPCNIOTransportCore.SocketAddress {
        kind == .ipv6 ? .ipv6(host: host, port: port) : .ipv4(host: host, port: port)
    }

    /// What a client connects to; a name goes through DNS.
    var resolvableTarget: any ResolvableTarget {
        switch kind {
        case .ipv4: return .ipv4(address: host, port: port)
        case .ipv6: return .ipv6(address: host, port: port)
        case .name: return .dns(host: host, port: port)
        }
    }

    /// The address a server actually bound (an ephemeral port resolved), nil for other socket kinds.
    init?(_ address: GRPCNIOTransportCore.SocketAddress) {
        if let ipv4 = address.ipv4 {
            self.init(host: ipv4.host, port: ipv4.port)
        } else if let ipv6 = address.ipv6 {
            self.init(host: ipv6.host, port: ipv6.port)
        } else {
            return nil
        }
    }
}

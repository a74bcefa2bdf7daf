import ArgumentParser
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import PachAPI
import PachctlKit

#if canImport(Glibc)
import Glibc
#endif

extension OutputFormat: ExpressibleByArgument {}

/// The options every command that talks to the cluster takes: the connection, and the report format.
struct GlobalOptions: ParsableArguments {
    @OptionGroup var connection: ConnectionOptions

    @Option(name: [.customShort("o"), .customLong("output")], help: "Output format: table or json")
    var output: OutputFormat = .table

    /// The `--timeout` given, if any.
    var timeout: String? { connection.timeout }
}

/// How to reach the cluster. Alone (without `-o FORMAT`) for commands whose output is data rather than a
/// report (`get object`, where `-o` names the output file as in Pachyderm's `get file -o`).
struct ConnectionOptions: ParsableArguments {
    @Option(help: "host:port of any node; a comma-separated list is tried in order (env PACHD_ADDRESS)")
    var address: String?

    @Option(help: "The cluster CA certificate, PEM (env PACH_CA)")
    var ca: String?

    @Option(help: "The auth token (env PACH_TOKEN; prefer the variable: flags show up in ps)")
    var token: String?

    @Option(help: "Deadline of each call, e.g. 10s, 500ms, 2m (default 10s; none for transfers of data)")
    var timeout: String?
}

/// The clients of one connected node, handed to a command's body.
struct Clients {
    let pfs: Pfs_API.Client<HTTP2ClientTransport.Posix>
    let admin: Admin_API.Client<HTTP2ClientTransport.Posix>
    let objects: Pfs_ObjectAPI.Client<HTTP2ClientTransport.Posix>
    let pps: Pps_API.Client<HTTP2ClientTransport.Posix>
    /// The node these clients talk to.
    let endpoint: NodeAddress
    /// Deadline and fail-fast settings for every call.
    let options: CallOptions
}

/// A command's connection to the cluster: settings resolved once, then one attempt per address.
struct Session {
    let settings: ConnectionSettings
    let presenter: Presenter
    let trustRoot: [UInt8]

    init(_ options: GlobalOptions) throws(PachctlError) {
        try self.init(options.connection, output: options.output)
    }

    init(_ options: ConnectionOptions, output: OutputFormat = .table) throws(PachctlError) {
        settings = try ConnectionSettings.resolve(
            address: options.address, ca: options.ca, token: options.token, timeout: options.timeout,
            environment: ProcessInfo.processInfo.environment
        )
        trustRoot = try Self.readCA(settings.caPath)
        presenter = Presenter(format: output, nowUnixNanos: Self.nowUnixNanos())
    }

    /// The presenter with "now" taken again: for output after a long wait, so ages read from its end.
    var presenterNow: Presenter {
        var fresh = presenter
        fresh.nowUnixNanos = Self.nowUnixNanos()
        return fresh
    }

    /// Runs `body` against the first node that answers (see `Failover`). The body MUST NOT print:
    /// it may run again on the next node, so output is written once, after it returns.
    func run<T: Sendable>(_ body: (Clients) async throws -> T) async throws(PachctlError) -> T {
        let failover = Failover(endpoints: settings.endpoints, timeout: settings.timeout, tokenSent: settings.token != nil)
        var options = CallOptions.defaults
        options.timeout = settings.timeout
        // Fail fast on a node that refuses connections instead of waiting out the deadline there.
        options.waitForReady = false
        let interceptors: [any ClientInterceptor] = settings.token.map { [BearerTokenInterceptor(token: $0)] } ?? []
        return try await failover.run { endpoint in
            let transport = try makeTransport(endpoint)
            return try await withGRPCClient(transport: transport, interceptors: interceptors) { grpc in
                try await body(
                    Clients(
                        pfs: Pfs_API.Client(wrapping: grpc), admin: Admin_API.Client(wrapping: grpc),
                        objects: Pfs_ObjectAPI.Client(wrapping: grpc), pps: Pps_API.Client(wrapping: grpc),
                        endpoint: endpoint, options: options
                    )
                )
            }
        }
    }

    /// A TLS transport to one node. The server's certificate must chain to the cluster CA and name the
    /// address: an IP is matched against its IP SANs, a name (localhost) against its DNS SANs.
    func makeTransport(_ endpoint: NodeAddress) throws -> HTTP2ClientTransport.Posix {
        let target: any ResolvableTarget
        switch endpoint.host {
        case .ipv4(let address): target = .ipv4(address: address, port: endpoint.port)
        case .ipv6(let address): target = .ipv6(address: address, port: endpoint.port)
        case .name(let name): target = .dns(host: name, port: endpoint.port)
        }
        let root = trustRoot
        return try HTTP2ClientTransport.Posix(
            target: target,
            transportSecurity: .tls { tls in
                tls.trustRoots = .certificates([.bytes(root, format: .pem)])
                tls.serverCertificateVerification = .fullVerification
            },
            config: .defaults { $0.http2.targetWindowSize = 1 << 20 }
        )
    }

    /// Reads the CA so that a wrong path is reported as such, not as an unreachable cluster.
    static func readCA(_ path: String) throws(PachctlError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .configuration("cannot read the CA file '\(path)': \(Hint.ca)")
        }
        let bytes = [UInt8](data)
        guard String(decoding: bytes, as: UTF8.self).contains("-----BEGIN CERTIFICATE-----") else {
            throw .configuration("'\(path)' holds no PEM certificate: \(Hint.ca)")
        }
        return bytes
    }

    static func nowUnixNanos() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    /// Writes a command's output; nothing for an empty string.
    func write(_ text: String) {
        if !text.isEmpty { print(text, terminator: "") }
    }

    /// Writes at once, unbuffered, for output that arrives over time (`subscribe commit` into a pipe).
    func writeNow(_ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(STDOUT_FILENO, $0.baseAddress, $0.count) }
            if written <= 0 { return }
            offset += written
        }
    }
}

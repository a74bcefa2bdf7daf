#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The node's Prometheus endpoint: a small HTTP/1.1 server (NIO's HTTP codec, no TLS) that answers each
/// connection's first request through a `MetricsEndpoint` and closes it.
///
/// One request per connection keeps the server simple and bounded: the answer says `Connection: close`,
/// the server half-closes once it is written (so the client reads it whole), and drops the connection
/// when the client closes or after `Limits.connectionTime`, whichever comes first. A scraper every few
/// seconds does not notice the extra TCP handshake. At most `Limits.connectionsMax` connections are
/// served at once; more are closed at once.
///
/// `bind(to:endpoint:logger:)` binds (so a port in use fails at startup), `run()` serves until its task
/// is cancelled or `close()` is called.
final class MetricsServer: Sendable {
    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    /// Bounds on what a client can hold.
    struct Limits: Sendable {
        /// Connections served at once.
        var connectionsMax = 16
        /// A connection is closed this long after it was accepted, answered or not.
        var connectionTime: Duration = .seconds(10)
    }

    /// The address the server listens on (the real port when the configured one was 0).
    let address: HostPort
    let endpoint: MetricsEndpoint
    let limits: Limits
    let logger: Logger
    private let listener: NIOAsyncChannel<Connection, Never>
    private let openConnections = Atomic<Int>(0)

    private init(address: HostPort, endpoint: MetricsEndpoint, limits: Limits, logger: Logger,
                 listener: NIOAsyncChannel<Connection, Never>) {
        self.address = address
        self.endpoint = endpoint
        self.limits = limits
        self.logger = logger
        self.listener = listener
    }

    /// Listens on `address` (port 0: any free port). Throws the socket error when it cannot bind, e.g.
    /// "Address already in use".
    static func bind(to address: HostPort, endpoint: MetricsEndpoint, limits: Limits = Limits(),
                     logger: Logger) async throws -> MetricsServer {
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 64)
            .bind(host: address.host, port: address.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try Connection(wrappingChannelSynchronously: channel,
                                          configuration: .init(isOutboundHalfClosureEnabled: true))
                }
            }
        let port = listener.channel.localAddress?.port ?? address.port
        return MetricsServer(address: HostPort(host: address.host, port: port), endpoint: endpoint,
                             limits: limits, logger: logger, listener: listener)
    }

    /// A bind failure in a sentence: the system's words for a socket error ("Address already in use"),
    /// else the error's own description.
    static func describe(bindError error: any Error) -> String {
        guard let io = error as? IOError else { return "\(error)" }
        return "\(String(cString: strerror(io.errnoCode))) (errno \(io.errnoCode))"
    }

    /// Accepts and answers connections until the task is cancelled or `close()` is called; then closes
    /// the listening socket and every open connection.
    func run() async {
        do {
            try await listener.executeThenClose { inbound in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in inbound {
                        guard openConnections.add(1, ordering: .relaxed).newValue <= limits.connectionsMax else {
                            openConnections.subtract(1, ordering: .relaxed)
                            logger.debug("metrics connection refused: too many open")
                            // Through executeThenClose: NIO requires every NIOAsyncChannel to be finished.
                            try? await connection.executeThenClose { _, _ in }
                            continue
                        }
                        group.addTask {
                            await self.serve(connection)
                            self.openConnections.subtract(1, ordering: .relaxed)
                        }
                    }
                }
            }
        } catch is CancellationError {
            // The node is stopping.
        } catch {
            logger.warning("metrics endpoint stopped", metadata: ["metrics.error": "\(error)"])
        }
    }

    /// Stops accepting connections: `run()` returns once the open ones are closed.
    func close() {
        listener.channel.close(promise: nil)
    }

    /// Answers `connection`, within `limits.connectionTime`.
    private func serve(_ connection: Connection) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.answer(connection) }
            group.addTask { try? await Task.sleep(for: self.limits.connectionTime) }
            await group.next()
            // Either the connection is done (the timer is cancelled), or time is up (reading or writing
            // it is cancelled, which closes it).
            group.cancelAll()
        }
    }

    /// Reads the first request, writes its answer and half-closes; then waits for the client to close.
    /// Anything sent after the first request is dropped by NIO's pipeline handler.
    private func answer(_ connection: Connection) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                var request: HTTPRequestHead?
                var answered = false
                for try await part in inbound {
                    switch part {
                    case .head(let head):
                        request = head
                    case .body:
                        break  // a body means nothing here; it is read and dropped
                    case .end:
                        guard let head = request, !answered else { continue }
                        answered = true
                        let response = endpoint.respond(method: head.method.rawValue, uri: head.uri)
                        try await Self.write(response, version: head.version, to: outbound)
                        outbound.finish()
                    }
                }
            }
        } catch is CancellationError {
            logger.debug("metrics connection closed: time limit")
        } catch {
            logger.debug("metrics connection failed", metadata: ["metrics.error": "\(error)"])
        }
    }

    private static func write(_ response: MetricsEndpoint.Response, version: HTTPVersion,
                              to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>) async throws {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: "\(response.body.count)")
        headers.add(name: "Connection", value: "close")
        if let allow = response.allow { headers.add(name: "Allow", value: allow) }
        let head = HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: response.status),
                                    headers: headers)
        try await outbound.write(.head(head))
        try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: response.body))))
        try await outbound.write(.end(nil))
    }
}

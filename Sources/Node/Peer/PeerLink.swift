import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import PachAPI
import Raft
import Synchronization

/// This node's connection to one peer: a long-lived gRPC client, one `Stream` call carrying Raft
/// messages while the peer is reachable (re-opened with backoff when it breaks, after a `Hello` that
/// checks the peer is the node and cluster we expect), and `InstallSnapshot` calls beside it.
final class PeerLink: Sendable {
    typealias Client = GRPCClient<HTTP2ClientTransport.Posix>

    private struct Tasks {
        var connections: Task<Void, Never>?
        var streams: Task<Void, Never>?
        var snapshot: Task<Void, Never>?
        var isStopped = false
    }

    let peer: NodeID
    let address: HostPort
    let options: PeerLinkOptions
    let outbox: PeerOutbox
    let client: Client
    let logger: Logger
    /// Counts failed calls to the peer (`pachd_peer_rpc_errors_total`); nil in tests that do not look.
    let metrics: NodeMetrics?
    private let tasks = Mutex(Tasks())

    init(peer: NodeID, address: HostPort, options: PeerLinkOptions, logger: Logger,
         metrics: NodeMetrics? = nil) throws {
        self.peer = peer
        self.metrics = metrics
        self.address = address
        self.options = options
        outbox = PeerOutbox(limits: options.outbox)
        client = GRPCClient(transport: try options.clientTransport(to: peer, at: address))
        var logger = logger
        logger[metadataKey: "peer.node"] = "\(peer)"
        logger[metadataKey: "peer.address"] = "\(address)"
        self.logger = logger
    }

    /// The generated client of the peer service over this link's connection.
    var peerClient: Raftpb_Peer.Client<HTTP2ClientTransport.Posix> {
        Raftpb_Peer.Client(wrapping: client)
    }

    /// Starts the connection and the stream loop; `report` receives `unreachable` and snapshot outcomes.
    func start(report: @escaping @Sendable (TransportEvent) -> Void) {
        tasks.withLock { tasks in
            guard !tasks.isStopped, tasks.connections == nil else { return }
            let client = self.client
            tasks.connections = Task { try? await client.runConnections() }
            tasks.streams = Task { await self.runStreams(report: report) }
        }
    }

    /// Stops sending; waits until the stream loop, any snapshot transfer and the connection have ended.
    func stop() async {
        let running = tasks.withLock { tasks -> [Task<Void, Never>] in
            tasks.isStopped = true
            return [tasks.streams, tasks.snapshot].compactMap { $0 }
        }
        for task in running { task.cancel() }
        outbox.close()
        for task in running { await task.value }
        client.beginGracefulShutdown()
        await tasks.withLock { $0.connections }?.value
    }

    // MARK: Stream

    private func runStreams(report: @escaping @Sendable (TransportEvent) -> Void) async {
        var backoff = Backoff(initial: options.reconnectInitial, max: options.reconnectMax)
        var reachability = Reachability.unknown
        while !Task.isCancelled {
            var call = NodeMetrics.PeerCall.hello
            do {
                try await hello()
                if reachability != .up { logger.info("peer reachable") }
                reachability = .up
                backoff.reset()
                call = .stream
                try await stream()
            } catch {
                if Task.isCancelled { break }
                metrics?.peerError(peer, call: call)
                logFailure(error, reachability: reachability)
                reachability = .down
            }
            if outbox.close() > 0 { report(.unreachable(peer)) }
            try? await Task.sleep(for: backoff.next())
        }
        outbox.close()
    }

    private enum Reachability {
        case unknown, up, down
    }

    /// Loud once per outage, quiet while it lasts: a peer that stays down must not flood the log with
    /// one line per reconnect attempt. Before the first contact a failure is routine (peers start in any
    /// order), so it is only info.
    private func logFailure(_ error: any Error, reachability: Reachability) {
        let metadata: Logger.Metadata = ["peer.error": "\(Self.describe(error))"]
        switch reachability {
        case .up: logger.warning("peer unreachable", metadata: metadata)
        case .unknown: logger.info("peer not reachable yet", metadata: metadata)
        case .down: logger.debug("peer still unreachable", metadata: metadata)
        }
    }

    /// Checks that the node at `address` is `peer` of our cluster (its certificate already chained to
    /// our CA and named `node<peer>`).
    private func hello() async throws {
        var request = Raftpb_HelloRequest()
        request.header = options.identity.header(to: peer)
        request.version = options.version
        request.apiAddress = options.apiAddress
        request.peerAddress = options.peerAddress
        var callOptions = CallOptions.defaults
        callOptions.timeout = options.helloTimeout
        let response = try await peerClient.hello(request, options: callOptions)
        guard response.clusterID == options.identity.clusterID, response.nodeID == peer else {
            throw RPCError(code: .failedPrecondition,
                           message: "\(address) answers as node \(response.nodeID) of cluster \(response.clusterID), "
                               + "expected node \(peer) of cluster \(options.identity.clusterID)")
        }
    }

    /// One Stream call: the header, then batches from the outbox until the call breaks or the link stops.
    private func stream() async throws {
        var opening = Raftpb_StreamRequest()
        opening.header = options.identity.header(to: peer)
        let first = opening
        let (outbox, requestBytesMax, logger) = (self.outbox, options.requestBytesMax, self.logger)
        _ = try await peerClient.stream(requestProducer: { writer in
            try await writer.write(first)
            outbox.open()
            logger.debug("peer stream open")
            while let batch = await outbox.next() {
                for request in Self.requests(for: batch, bytesMax: requestBytesMax) {
                    try await writer.write(request)
                }
            }
        })
    }

    /// `messages` in order, packed into requests of at most `bytesMax` (by `Message.byteCount`).
    static func requests(for messages: [Message], bytesMax: Int) -> [Raftpb_StreamRequest] {
        var requests: [Raftpb_StreamRequest] = []
        var current = Raftpb_StreamRequest()
        var bytes = 0
        for message in messages {
            let size = message.byteCount
            if !current.messages.isEmpty, bytes + size > bytesMax {
                requests.append(current)
                current = Raftpb_StreamRequest()
                bytes = 0
            }
            current.messages.append(Raftpb_Message(message))
            bytes += size
        }
        if !current.messages.isEmpty { requests.append(current) }
        return requests
    }

    static func describe(_ error: any Error) -> String {
        let full: String
        if let rpc = error as? RPCError {
            full = rpc.cause.map { "\(rpc.code): \(rpc.message) (\($0))" } ?? "\(rpc.code): \(rpc.message)"
        } else {
            full = "\(error)"
        }
        // The transport's own wording of the two everyday cases is long; operators read these in tables.
        let lowered = full.lowercased()
        if lowered.contains("connection refused") { return "connection refused" }
        if let rpc = error as? RPCError, rpc.code == .deadlineExceeded { return "no answer in time" }
        return full
    }
}

// MARK: Snapshots

extension PeerLink {
    /// Sends `message` (an `installSnapshot`) in the background and reports its outcome. While one
    /// transfer to this peer runs, another is ignored: Raft sends nothing else to a follower with a
    /// snapshot in flight, and the running transfer's report answers for the peer.
    func sendSnapshot(_ message: Message, report: @escaping @Sendable (TransportEvent) -> Void) {
        let started = tasks.withLock { tasks -> Bool in
            guard !tasks.isStopped, tasks.snapshot == nil else { return false }
            tasks.snapshot = Task {
                let succeeded = await self.transferSnapshot(message)
                self.tasks.withLock { $0.snapshot = nil }
                report(.snapshotStatus(to: self.peer, succeeded: succeeded))
            }
            return true
        }
        if !started { logger.debug("snapshot already in flight; this one is not sent") }
    }

    /// One InstallSnapshot call: a header with the message (metadata only), the length and CRC-32C of
    /// the data, then the data in chunks. True once the peer confirmed every byte.
    private func transferSnapshot(_ message: Message) async -> Bool {
        guard let snapshot = message.snapshot else { return false }
        let data = snapshot.data
        var header = Raftpb_SnapshotHeader()
        header.peer = options.identity.header(to: peer)
        header.message = Raftpb_Message(message)
        header.dataBytes = UInt64(data.count)
        header.dataCrc32C = CRC32C.checksum(data)
        let first = header
        var callOptions = CallOptions.defaults
        callOptions.timeout = options.snapshotTimeout(bytes: data.count)
        let chunkBytes = options.snapshotChunkBytes
        let started = ContinuousClock.now
        do {
            let response = try await peerClient.installSnapshot(options: callOptions, requestProducer: { writer in
                var opening = Raftpb_InstallSnapshotRequest()
                opening.header = first
                try await writer.write(opening)
                for offset in stride(from: 0, to: data.count, by: chunkBytes) {
                    var request = Raftpb_InstallSnapshotRequest()
                    request.chunk = Data(data[offset..<min(offset + chunkBytes, data.count)])
                    try await writer.write(request)
                }
            })
            guard response.receivedBytes == UInt64(data.count) else {
                metrics?.peerError(peer, call: .snapshot)
                logger.warning("snapshot not confirmed", metadata: ["raft.snapshot.bytes": "\(data.count)",
                                                                    "peer.received": "\(response.receivedBytes)"])
                return false
            }
            logger.info("snapshot sent", metadata: ["raft.snapshot.index": "\(snapshot.metadata.index)",
                                                    "raft.snapshot.bytes": "\(data.count)",
                                                    "peer.elapsed": "\(ContinuousClock.now - started)"])
            return true
        } catch {
            metrics?.peerError(peer, call: .snapshot)
            logger.warning("snapshot transfer failed", metadata: ["raft.snapshot.index": "\(snapshot.metadata.index)",
                                                                  "peer.error": "\(Self.describe(error))"])
            return false
        }
    }
}

import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import PachAPI
import Raft
import Replication
import Synchronization

/// `ChunkPeers` for a real node: its own member's share from the local store, every other member's
/// over `chunkpb.Chunks` on that member's peer address (mutual TLS).
///
/// Chunk traffic has its own connection per peer, apart from the Raft link, so that a stream of
/// megabyte frames never queues in front of heartbeats. Connections are made on first use, from the
/// addresses the peer transport knows (the founders' `--peers` and the replicated member records), and
/// remade when a member's address changes.
final class GRPCChunkPeers: ChunkPeers {
    typealias Client = GRPCClient<HTTP2ClientTransport.Posix>

    struct Timeouts: Sendable {
        var small: Duration = .seconds(10)
        /// A put or get of a batch: the base plus the time to move its bytes at `slowBytesPerSecond`.
        var transferBase: Duration = .seconds(10)
        var slowBytesPerSecond = 8 << 20

        func transfer(bytes: Int) -> Duration { transferBase + .milliseconds(bytes / max(1, slowBytesPerSecond / 1000)) }
    }

    private struct Link {
        let address: HostPort
        let client: Client
        let connections: Task<Void, Never>
    }

    private struct State {
        var links: [NodeID: Link] = [:]
        var isStopped = false
    }

    let selfID: NodeID
    let local: AsyncChunkStore
    /// This node's uploads in flight (GC asks every member for its oldest).
    let uploads: UploadRegistry
    let identity: PeerIdentity
    let options: PeerLinkOptions
    let transport: GRPCPeerTransport
    let logger: Logger
    let timeouts: Timeouts
    let metrics: NodeMetrics?
    private let state = Mutex(State())

    init(local: AsyncChunkStore, uploads: UploadRegistry = UploadRegistry(), options: PeerLinkOptions,
         transport: GRPCPeerTransport, logger: Logger, timeouts: Timeouts = Timeouts(), metrics: NodeMetrics? = nil) {
        self.uploads = uploads
        self.timeouts = timeouts
        self.metrics = metrics
        selfID = options.identity.nodeID
        self.local = local
        identity = options.identity
        self.options = options
        self.transport = transport
        self.logger = logger
    }

    // MARK: ChunkPeers

    func has(_ ids: [ChunkID], on member: MemberID) async throws(ReplicationError) -> [Bool] {
        if member == selfID { return try await local.has(ids) }
        var request = Chunkpb_HasRequest()
        request.header = identity.header(to: member)
        request.ids = ids.map(ChunkWire.data)
        let response = try await call(member, timeout: timeouts.small) { client, options in
            try await Chunkpb_Chunks.Client(wrapping: client).has(request, options: options)
        }
        guard response.held.count == ids.count else {
            throw .peerUnavailable(member, "answered \(response.held.count) of \(ids.count) ids")
        }
        return response.held
    }

    func put(_ frames: [ChunkFrame], on member: MemberID) async throws(ReplicationError)
        -> [Result<ChunkStore.PutOutcome, ReplicationError>]
    {
        if member == selfID { return await local.put(frames) }
        var message = Chunkpb_PutRequest()
        message.header = identity.header(to: member)
        message.frames = frames.map { Data($0.bytes) }
        let request = message
        let bytes = frames.reduce(0) { $0 + $1.storedLength }
        let results = try await call(member, timeout: timeouts.transfer(bytes: bytes)) { client, options in
            try await Chunkpb_Chunks.Client(wrapping: client).put(
                request: StreamingClientRequest(of: Chunkpb_PutRequest.self) { writer in try await writer.write(request) },
                options: options
            ) { response in
                var results: [Chunkpb_PutResult] = []
                for try await part in response.messages { results.append(contentsOf: part.results) }
                return results
            }
        }
        metrics?.chunkBytes(.sent, peer: member, bytes: bytes)
        guard results.count == frames.count else {
            throw .peerUnavailable(member, "answered \(results.count) of \(frames.count) frames")
        }
        return results.map { ChunkWire.outcome($0, member: member) }
    }

    func get(_ id: ChunkID, from member: MemberID) async throws(ReplicationError) -> ChunkFrame {
        if member == selfID { return try await local.get(id) }
        var request = Chunkpb_GetRequest()
        request.header = identity.header(to: member)
        request.ids = [ChunkWire.data(id)]
        let answers = try await call(member, timeout: timeouts.transfer(bytes: 4 << 20)) { client, options in
            try await Chunkpb_Chunks.Client(wrapping: client).get(request, options: options) { response in
                var answers: [Chunkpb_GetResponse] = []
                for try await answer in response.messages { answers.append(answer) }
                return answers
            }
        }
        guard let answer = answers.first else { throw .peerUnavailable(member, "answered no frame") }
        switch answer.outcome {
        case .frame(let bytes):
            metrics?.chunkBytes(.received, peer: member, bytes: bytes.count)
            let frame = try ChunkFrame(parsing: [UInt8](bytes), maxRawLength: local.store.options.maxChunkBytes)
            guard frame.id == id else { throw .idMismatch(expected: id, actual: frame.id) }
            return frame
        case .missing(let why):
            logger.debug("peer lacks a chunk", metadata: ["peer.node": "\(member)", "chunk.id": "\(id)", "why": "\(why)"])
            throw .chunkNotFound(id)
        case nil:
            throw .peerUnavailable(member, "answered neither a frame nor why it has none")
        }
    }

    func list(on member: MemberID, after: ChunkID?, limit: Int) async throws(ReplicationError) -> ChunkStore.Page {
        if member == selfID { return try await local.list(after: after, limit: limit) }
        var request = Chunkpb_ListRequest()
        request.header = identity.header(to: member)
        if let after { request.after = ChunkWire.data(after) }
        request.limit = UInt32(clamping: limit)
        let response = try await call(member, timeout: timeouts.small) { client, options in
            try await Chunkpb_Chunks.Client(wrapping: client).list(request, options: options)
        }
        var chunks: [ChunkInfo] = []
        chunks.reserveCapacity(response.chunks.count)
        for entry in response.chunks {
            guard let id = ChunkID(bytes: [UInt8](entry.id)) else { throw .peerUnavailable(member, "listed a malformed id") }
            chunks.append(ChunkInfo(id: id, rawLength: Int(clamping: entry.rawBytes), storedLength: Int(clamping: entry.storedBytes)))
        }
        let next = response.next.isEmpty ? nil : ChunkID(bytes: [UInt8](response.next))
        return ChunkStore.Page(chunks: chunks, next: next)
    }

    func delete(_ ids: [ChunkID], on member: MemberID) async throws(ReplicationError) -> Int {
        if member == selfID { return try await local.delete(ids) }
        var request = Chunkpb_DeleteRequest()
        request.header = identity.header(to: member)
        request.ids = ids.map(ChunkWire.data)
        let response = try await call(member, timeout: timeouts.small) { client, options in
            try await Chunkpb_Chunks.Client(wrapping: client).delete(request, options: options)
        }
        return Int(response.deleted)
    }

    func collect(_ ids: [ChunkID], untouchedForNanos: UInt64, on member: MemberID) async throws(ReplicationError)
        -> ChunkStore.CollectReport
    {
        if member == selfID { return try await local.collect(ids, untouchedForNanos: untouchedForNanos) }
        var request = Chunkpb_CollectRequest()
        request.header = identity.header(to: member)
        request.ids = ids.map(ChunkWire.data)
        request.untouchedForMs = untouchedForNanos / 1_000_000
        let response = try await call(member, timeout: timeouts.small) { client, options in
            try await Chunkpb_Chunks.Client(wrapping: client).collect(request, options: options)
        }
        var report = ChunkStore.CollectReport()
        report.deleted = Int(response.deleted)
        report.deletedBytes = Int(clamping: response.deletedBytes)
        report.recentlyUsed = Int(response.recentlyUsed)
        return report
    }

    func oldestUploadNanos(on member: MemberID) async throws(ReplicationError) -> UInt64? {
        if member == selfID {
            let oldest = uploads.oldest()
            return oldest.count > 0 ? oldest.ageNanos : nil
        }
        var request = Chunkpb_UploadsRequest()
        request.header = identity.header(to: member)
        let response = try await call(member, timeout: timeouts.small) { client, options in
            try await Chunkpb_Chunks.Client(wrapping: client).uploads(request, options: options)
        }
        guard response.inFlight > 0 else { return nil }
        return response.oldestAgeMs.multipliedReportingOverflow(by: 1_000_000).partialValue
    }

    /// A member's totals (the `Stat` call), for cluster status.
    func stat(of member: MemberID) async throws(ReplicationError) -> ChunkTotals {
        if member == selfID {
            do { return try await ChunkTotals.read(local) } catch { throw .io(error.message) }
        }
        var request = Chunkpb_StatRequest()
        request.header = identity.header(to: member)
        let response = try await call(member, timeout: timeouts.small) { client, options in
            try await Chunkpb_Chunks.Client(wrapping: client).stat(request, options: options)
        }
        return ChunkTotals(chunks: Int(clamping: response.chunks), rawBytes: Int(clamping: response.rawBytes),
                           storedBytes: Int(clamping: response.storedBytes),
                           availableBytes: Int(clamping: response.availableBytes))
    }

    // MARK: Links

    /// Closes every connection; later calls fail with `.peerUnavailable`.
    func shutdown() async {
        let links = state.withLock { state -> [Link] in
            state.isStopped = true
            defer { state.links = [:] }
            return Array(state.links.values)
        }
        for link in links { link.client.beginGracefulShutdown() }
        for link in links { await link.connections.value }
    }

    private func call<T: Sendable>(_ member: MemberID, timeout: Duration,
                                   _ body: (Client, CallOptions) async throws -> T) async throws(ReplicationError) -> T {
        let client = try link(to: member)
        var callOptions = CallOptions.defaults
        callOptions.timeout = timeout
        callOptions.waitForReady = false
        do {
            return try await body(client, callOptions)
        } catch {
            throw ChunkWire.unavailable(member, error)
        }
    }

    private func link(to member: MemberID) throws(ReplicationError) -> Client {
        guard let address = transport.peers[member] else {
            throw .peerUnavailable(member, "no address known for this node")
        }
        let outcome = state.withLock { state -> Result<(Client, Link?), ReplicationError> in
            guard !state.isStopped else { return .failure(.peerUnavailable(member, "this node is shutting down")) }
            if let link = state.links[member], link.address == address { return .success((link.client, nil)) }
            let transport: HTTP2ClientTransport.Posix
            do { transport = try options.clientTransport(to: member, at: address) } catch {
                return .failure(.peerUnavailable(member, "cannot dial \(address): \(error)"))
            }
            let client = Client(transport: transport)
            let old = state.links[member]
            state.links[member] = Link(address: address, client: client,
                                       connections: Task { try? await client.runConnections() })
            return .success((client, old))
        }
        let (client, replaced) = try outcome.get()
        replaced?.client.beginGracefulShutdown()
        return client
    }
}

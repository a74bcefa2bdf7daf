import GRPCCore
import Logging
import PachAPI
import PFS
import Raft
import Synchronization

/// Raft's `Transport` over the peer gRPC API: outbound through one `PeerLink` per peer, inbound from
/// this node's `PeerService`, which hands what it receives to `receive(_:)`.
///
/// Sending never blocks the Raft loop: messages go to the link's bounded outbox, and what cannot be
/// queued (peer down, outbox full, unknown peer) is dropped and reported as `.unreachable`, so the
/// leader probes instead of pipelining into the void. Snapshots go through `InstallSnapshot` and are
/// reported as `.snapshotStatus`, always, as `Transport` requires.
final class GRPCPeerTransport: Transport {
    private struct State {
        var deliver: (@Sendable (TransportEvent) -> Void)?
        var links: [NodeID: PeerLink] = [:]
        var isStopped = false
        /// Links replaced or removed while running, still winding down.
        var retired: [PeerLink] = []
        /// What we last heard from each peer, for cluster status.
        var contacts: [NodeID: PeerContact] = [:]
        /// The members the replicated state recorded at the last `applyMembers`.
        var everRecorded: Set<NodeID> = []
    }

    /// The latest signs of life of one peer.
    struct PeerContact: Sendable {
        /// When a Raft message or a status answer from it last arrived.
        var lastHeard: ContinuousClock.Instant?
        /// Its latest answer to `status(of:)`.
        var lastStatus: Raftpb_StatusResponse?
    }

    let options: PeerLinkOptions
    let logger: Logger
    /// Counts failed peer calls and dropped messages; nil in tests that do not look.
    let metrics: NodeMetrics?
    private let state = Mutex(State())
    private let receivedCount = Atomic<Int>(0)

    /// A transport for `options.identity.nodeID` that will talk to `peers` (an entry for this node
    /// itself is ignored). Throws when a peer's client cannot be created (an unresolvable target).
    init(options: PeerLinkOptions, peers: [NodeID: HostPort], logger: Logger, metrics: NodeMetrics? = nil) throws {
        self.options = options
        self.logger = logger
        self.metrics = metrics
        var links: [NodeID: PeerLink] = [:]
        for (peer, address) in peers where peer != options.identity.nodeID {
            links[peer] = try PeerLink(peer: peer, address: address, options: options, logger: logger, metrics: metrics)
        }
        state.withLock { $0.links = links }
    }

    /// This node's id.
    var nodeID: NodeID { options.identity.nodeID }

    /// Messages handed to the node so far (received from peers).
    var deliveredCount: Int { receivedCount.load(ordering: .relaxed) }

    // MARK: Transport

    func start(_ deliver: @escaping @Sendable (TransportEvent) -> Void) {
        let links = state.withLock { state -> [PeerLink] in
            guard !state.isStopped else { return [] }
            state.deliver = deliver
            return Array(state.links.values)
        }
        for link in links { link.start(report: deliver) }
    }

    func send(_ messages: [Message]) {
        guard !messages.isEmpty else { return }
        let (deliver, links) = state.withLock { ($0.deliver, $0.links) }
        guard let deliver else { return }
        // Group by destination keeping each destination's order; the order across destinations is free.
        var batches: [NodeID: [Message]] = [:]
        for message in messages { batches[message.to, default: []].append(message) }
        for (peer, batch) in batches {
            guard let link = links[peer] else {
                metrics?.peerMessagesDropped(peer, count: batch.count)
                Self.reportLost(batch, to: peer, deliver: deliver)
                continue
            }
            var regular: [Message] = []
            for message in batch {
                if message.kind == .installSnapshot {
                    link.sendSnapshot(message, report: deliver)
                } else {
                    regular.append(message)
                }
            }
            guard !regular.isEmpty else { continue }
            let dropped = link.outbox.offer(regular)
            if dropped > 0 {
                metrics?.peerMessagesDropped(peer, count: dropped)
                deliver(.unreachable(peer))
            }
        }
    }

    func stop() {
        let links = state.withLock { state -> [PeerLink] in
            guard !state.isStopped else { return [] }
            state.isStopped = true
            state.deliver = nil
            return Array(state.links.values) + state.retired
        }
        // stop() must not block (RaftNode calls it from its loop); the links wind down on their own.
        // `shutdown()` waits for them.
        for link in links { Task { await link.stop() } }
    }

    // MARK: Beyond Transport

    /// Stops (if not yet) and waits until every link has closed its connection.
    func shutdown() async {
        stop()
        let links = state.withLock { Array($0.links.values) + $0.retired }
        for link in links { await link.stop() }
    }

    /// Hands a message or event received from a peer to the node; dropped before `start` and after `stop`.
    func receive(_ event: TransportEvent) {
        let deliver = state.withLock { state -> (@Sendable (TransportEvent) -> Void)? in
            if case .message(let message) = event { state.contacts[message.from, default: PeerContact()].lastHeard = .now }
            return state.deliver
        }
        guard let deliver else { return }
        receivedCount.add(1, ordering: .relaxed)
        deliver(event)
    }

    /// Sets (or replaces) the address of `peer`, e.g. for a node that joins. A running transport
    /// connects to it at once.
    func setPeer(_ peer: NodeID, address: HostPort) throws {
        guard peer != nodeID else { return }
        let link = try PeerLink(peer: peer, address: address, options: options, logger: logger, metrics: metrics)
        let (deliver, old) = state.withLock { state -> ((@Sendable (TransportEvent) -> Void)?, PeerLink?) in
            let old = state.links.updateValue(link, forKey: peer)
            if let old { state.retired.append(old) }
            return (state.deliver, old)
        }
        if let old { Task { await old.stop() } }
        if let deliver { link.start(report: deliver) }
    }

    /// The peers this transport knows, with their addresses.
    var peers: [NodeID: HostPort] {
        state.withLock { $0.links.mapValues(\.address) }
    }

    /// Asks `peer` for its own status (the peer `Status` RPC), e.g. for cluster status or to pick the
    /// most caught-up voter at shutdown. Throws when the peer is unknown, unreachable, or slower than `timeout`.
    func status(of peer: NodeID, timeout: Duration) async throws -> Raftpb_StatusResponse {
        guard let link = state.withLock({ $0.links[peer] }) else {
            throw RPCError(code: .notFound, message: "node \(peer) is not a known peer")
        }
        var request = Raftpb_StatusRequest()
        request.header = options.identity.header(to: peer)
        var callOptions = CallOptions.defaults
        callOptions.timeout = timeout
        let response: Raftpb_StatusResponse
        do { response = try await link.peerClient.status(request, options: callOptions) } catch {
            metrics?.peerError(peer, call: .status)
            throw error
        }
        state.withLock { state in
            // An answer is news from the peer too: a follower hears from other followers only this way.
            state.contacts[peer, default: PeerContact()].lastStatus = response
            state.contacts[peer, default: PeerContact()].lastHeard = .now
        }
        return response
    }

    /// Asks `peer` to admit this node as a member (the peer `Join` RPC).
    func join(via peer: NodeID, apiAddress: String, peerAddress: String,
              timeout: Duration) async throws -> Raftpb_JoinResponse {
        guard let link = state.withLock({ $0.links[peer] }) else {
            throw RPCError(code: .notFound, message: "node \(peer) is not a known peer")
        }
        var request = Raftpb_JoinRequest()
        request.header = options.identity.header(to: peer)
        request.apiAddress = apiAddress
        request.peerAddress = peerAddress
        var callOptions = CallOptions.defaults
        callOptions.timeout = timeout
        return try await link.peerClient.join(request, options: callOptions)
    }

    /// Points the transport at the recorded members: a member with a new or changed peer address gets a
    /// link (a joining node), and a member whose record was dropped loses its link (a removed node).
    /// Peers known only from the command line are kept until they are recorded.
    func applyMembers(_ members: [MemberInfo]) {
        let current = peers
        var recorded: Set<NodeID> = []
        for member in members where member.id != nodeID {
            recorded.insert(member.id)
            let address: HostPort
            do { address = try HostPort(parsing: member.peerAddress, flag: "member \(member.id)") } catch {
                logger.warning("member has an unusable peer address", metadata: ["member.node": "\(member.id)",
                                                                                 "error": "\(error)"])
                continue
            }
            guard current[member.id] != address else { continue }
            do {
                try setPeer(member.id, address: address)
                logger.info("peer address recorded", metadata: ["member.node": "\(member.id)",
                                                                "member.peer": "\(address)"])
            } catch {
                logger.warning("cannot reach member", metadata: ["member.node": "\(member.id)", "error": "\(error)"])
            }
        }
        let forgotten = state.withLock { state -> [PeerLink] in
            let gone = state.everRecorded.subtracting(recorded)
            state.everRecorded = recorded
            let links = gone.compactMap { state.links.removeValue(forKey: $0) }
            state.retired.append(contentsOf: links)
            return links
        }
        for link in forgotten {
            logger.info("peer forgotten", metadata: ["member.node": "\(link.peer)"])
            Task { await link.stop() }
        }
    }

    /// What this node last heard from `peer` (nothing for a peer never heard from).
    func contact(of peer: NodeID) -> PeerContact {
        state.withLock { $0.contacts[peer] } ?? PeerContact()
    }

    private static func reportLost(_ batch: [Message], to peer: NodeID,
                                   deliver: @Sendable (TransportEvent) -> Void) {
        deliver(.unreachable(peer))
        for message in batch where message.kind == .installSnapshot {
            deliver(.snapshotStatus(to: peer, succeeded: false))
        }
    }
}

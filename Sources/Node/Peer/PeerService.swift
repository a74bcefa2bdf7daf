import Foundation
import GRPCCore
import Logging
import PachAPI
import Raft

/// What the peer service needs of the local Raft node; `RaftNode` provides it, tests may fake it.
protocol PeerBackend: Sendable {
    /// The node's current status.
    var status: RaftStatus { get }
    /// Proposes `data` through Raft (forwarded to the leader by the node itself if need be).
    func propose(_ data: [UInt8], client: ClientID, sequence: UInt64) async throws(RaftError) -> [UInt8]
    /// A ReadIndex round: the index up to which this node has applied everything committed at the call.
    func linearizableRead() async throws(RaftError) -> UInt64
}

extension RaftNode: PeerBackend {}

/// The `raftpb.Peer` service of this node, served on the peer address over mutual TLS.
///
/// Every call first checks its `PeerHeader` (same cluster, meant for this node); a stream checks the
/// header of its first request and then every message's `from` and `to` against it, so a peer can
/// neither speak for another node nor reach a node it did not name.
struct PeerService: Raftpb_Peer.SimpleServiceProtocol {
    let identity: PeerIdentity
    let transport: GRPCPeerTransport
    let backend: any PeerBackend
    /// Version and addresses answered in Hello and Status.
    let version: String
    let apiAddress: String
    let peerAddress: String
    let logger: Logger
    /// Admits nodes that ask to join; without one, `Join` is refused as unimplemented.
    var membership: (any MembershipBackend)?
    /// The chunk store's numbers for `Status`; none in tests that have no store.
    var chunkStatus: (any ChunkStatusSource)?
    /// The largest snapshot accepted; a header announcing more is refused before any chunk is buffered.
    var snapshotBytesMax = 4 << 30

    func hello(request: Raftpb_HelloRequest, context: ServerContext) async throws -> Raftpb_HelloResponse {
        try identity.check(request.hasHeader ? request.header : nil)
        var response = Raftpb_HelloResponse()
        response.clusterID = identity.clusterID
        response.nodeID = identity.nodeID
        response.version = version
        response.apiAddress = apiAddress
        response.peerAddress = peerAddress
        return response
    }

    func stream(request: RPCAsyncSequence<Raftpb_StreamRequest, any Error>,
                context: ServerContext) async throws -> Raftpb_StreamResponse {
        var sender: NodeID?
        var delivered: UInt64 = 0
        for try await part in request {
            if sender == nil {
                try identity.check(part.hasHeader ? part.header : nil)
                sender = part.header.from
            }
            for wire in part.messages {
                let message = try inbound(wire, from: sender!)
                transport.receive(.message(message))
                delivered += 1
            }
        }
        var response = Raftpb_StreamResponse()
        response.delivered = delivered
        return response
    }

    /// A streamed message, checked: a known kind, not a snapshot, from the stream's sender, to us.
    private func inbound(_ wire: Raftpb_Message, from sender: NodeID) throws(RPCError) -> Message {
        let message: Message
        do { message = try Message(wire) } catch {
            throw RPCError(code: .invalidArgument, message: "bad raft message: \(error)")
        }
        guard message.kind != .installSnapshot else {
            throw RPCError(code: .invalidArgument, message: "snapshots go through InstallSnapshot, not Stream")
        }
        guard message.from == sender, message.to == identity.nodeID else {
            throw RPCError(code: .invalidArgument,
                           message: "message from \(message.from) to \(message.to) on the stream from \(sender) to \(identity.nodeID)")
        }
        return message
    }

    func installSnapshot(request: RPCAsyncSequence<Raftpb_InstallSnapshotRequest, any Error>,
                         context: ServerContext) async throws -> Raftpb_InstallSnapshotResponse {
        var receiver = SnapshotReceiver(identity: identity, bytesMax: snapshotBytesMax)
        for try await part in request { try receiver.accept(part) }
        let message = try receiver.finish()
        transport.receive(.message(message))
        logger.info("snapshot received", metadata: ["peer.node": "\(message.from)",
                                                    "raft.snapshot.index": "\(message.snapshot?.metadata.index ?? 0)",
                                                    "raft.snapshot.bytes": "\(receiver.receivedBytes)"])
        var response = Raftpb_InstallSnapshotResponse()
        response.receivedBytes = UInt64(receiver.receivedBytes)
        return response
    }

    func forward(request: Raftpb_ForwardRequest, context: ServerContext) async throws -> Raftpb_ForwardResponse {
        try identity.check(request.hasHeader ? request.header : nil)
        var response = Raftpb_ForwardResponse()
        do {
            let client = ClientID(high: request.clientIDHigh, low: request.clientIDLow)
            let result = try await backend.propose([UInt8](request.command), client: client, sequence: request.sequence)
            response.result = Data(result)
        } catch {
            response.failure = Raftpb_RaftFailure(error, leaderHint: backend.status.leader)
        }
        return response
    }

    func readIndex(request: Raftpb_ReadIndexRequest, context: ServerContext) async throws -> Raftpb_ReadIndexResponse {
        try identity.check(request.hasHeader ? request.header : nil)
        var response = Raftpb_ReadIndexResponse()
        do {
            response.index = try await backend.linearizableRead()
        } catch {
            response.failure = Raftpb_RaftFailure(error, leaderHint: backend.status.leader)
        }
        return response
    }

    func status(request: Raftpb_StatusRequest, context: ServerContext) async throws -> Raftpb_StatusResponse {
        try identity.check(request.hasHeader ? request.header : nil)
        var response = Raftpb_StatusResponse(backend.status, version: version, apiAddress: apiAddress,
                                             peerAddress: peerAddress)
        if let chunkStatus { await chunkStatus.fill(&response) }
        return response
    }

    func join(request: Raftpb_JoinRequest, context: ServerContext) async throws -> Raftpb_JoinResponse {
        try identity.check(request.hasHeader ? request.header : nil)
        guard let membership else { throw RPCError(code: .unimplemented, message: "this node does not admit members") }
        var response = Raftpb_JoinResponse()
        do {
            let admission = try await membership.admit(node: request.header.from, apiAddress: request.apiAddress,
                                                       peerAddress: request.peerAddress)
            response.alreadyMember = admission.alreadyMember
        } catch .raft(let error) {
            response.failure = Raftpb_RaftFailure(error, leaderHint: backend.status.leader)
        } catch {
            throw RPCError(code: .invalidArgument, message: "cannot admit node \(request.header.from): \(error)")
        }
        response.leaderID = backend.status.leader
        return response
    }
}

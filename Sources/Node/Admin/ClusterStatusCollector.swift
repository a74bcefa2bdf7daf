import PachAPI
import PFS
import Raft

/// Builds admin.API's ClusterStatus as this node sees the cluster: its own Raft status, plus each other
/// member's own status asked over the peer `Status` RPC, concurrently and each bounded by a timeout, so a
/// dead member costs one timeout, not one per member. A member that does not answer is listed as down,
/// with the reason.
struct ClusterStatusCollector: Sendable {
    let clusterID: String
    let apiAddress: String
    let peerAddress: String
    let raft: RaftNode
    let peers: GRPCPeerTransport
    /// The member records of the replicated state (addresses, liveness verdicts).
    var records: [MemberInfo] = []
    /// This node's chunk store numbers (and, on the leader, its repair report); none in tests.
    var chunks: (any ChunkStatusSource)?
    var peerTimeout: Duration = .milliseconds(500)

    /// Every member (voters and learners, and this node) sorted by id.
    func collect() async -> Admin_ClusterStatusResponse {
        let local = raft.status
        let members = local.configuration.members.union([local.id]).sorted()
        let remote = await fetch(members.filter { $0 != local.id })
        var response = Admin_ClusterStatusResponse()
        response.clusterID = clusterID
        response.answeredBy = local.id
        response.leaderID = local.leader
        let recorded = Dictionary(records.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var own = Raftpb_StatusResponse(local, version: PachdVersion.current, apiAddress: apiAddress, peerAddress: peerAddress)
        if let chunks { await chunks.fill(&own) }
        let leaderStatus = local.leader == local.id ? own : (try? remote[local.leader]?.get())
        if let repair = leaderStatus?.hasRepair == true ? leaderStatus?.repair : nil {
            response.repair = Self.summary(repair)
        }
        response.nodes = members.map { id in
            var node = id == local.id ? localNode(own, running: local.isRunning, configuration: local.configuration)
                : Self.node(id, remote[id], configuration: local.configuration, contact: peers.contact(of: id),
                            peerAddress: peers.peers[id])
            if let record = recorded[id] {
                if node.apiAddress.isEmpty { node.apiAddress = record.apiAddress }
                if node.peerAddress.isEmpty { node.peerAddress = record.peerAddress }
                node.markedDown = !record.isUp
            }
            return node
        }
        return response
    }

    private func fetch(_ ids: [NodeID]) async -> [NodeID: Result<Raftpb_StatusResponse, any Error>] {
        let (peers, timeout) = (self.peers, peerTimeout)
        return await withTaskGroup(of: PeerAnswer.self) { group in
            for id in ids {
                group.addTask {
                    do {
                        let answer = try await peers.status(of: id, timeout: timeout)
                        return PeerAnswer(id: id, result: .success(answer))
                    } catch {
                        return PeerAnswer(id: id, result: .failure(error))
                    }
                }
            }
            var results: [NodeID: Result<Raftpb_StatusResponse, any Error>] = [:]
            while let answer = await group.next() { results[answer.id] = answer.result }
            return results
        }
    }

    /// One member's answer to the status call (or why there is none).
    private struct PeerAnswer: Sendable {
        let id: NodeID
        let result: Result<Raftpb_StatusResponse, any Error>
    }

    private func localNode(_ wire: Raftpb_StatusResponse, running: Bool, configuration: Configuration) -> Admin_NodeStatus {
        var node = Self.node(from: wire, configuration: configuration)
        node.up = running
        node.lastContactMs = 0
        return node
    }

    static func summary(_ repair: Raftpb_RepairStatus) -> Admin_RepairSummary {
        var summary = Admin_RepairSummary()
        summary.chunks = repair.chunks
        summary.underReplicatedChunks = repair.underReplicatedChunks
        summary.underReplicatedBytes = repair.underReplicatedBytes
        summary.lostChunks = repair.lostChunks
        return summary
    }

    /// A member from its answer, or marked down with why and the last values this node saw of it.
    /// `last_contact_ms` counts from the last Raft message that arrived from it (-1 if none has).
    static func node(_ id: NodeID, _ result: Result<Raftpb_StatusResponse, any Error>?,
                     configuration: Configuration, contact: GRPCPeerTransport.PeerContact,
                     peerAddress: HostPort?) -> Admin_NodeStatus {
        var node: Admin_NodeStatus
        switch result {
        case .success(let wire)?:
            node = Self.node(from: wire, configuration: configuration)
            node.up = true
        case .failure(let error)?:
            node = stale(id, contact: contact, configuration: configuration, peerAddress: peerAddress)
            node.error = "unreachable: \(PeerLink.describe(error))"
        case nil:
            node = stale(id, contact: contact, configuration: configuration, peerAddress: peerAddress)
            node.error = "unreachable: no address known for this node"
        }
        node.lastContactMs = contact.lastHeard.map { Int64(($0.duration(to: .now)) / .milliseconds(1)) } ?? -1
        return node
    }

    private static func stale(_ id: NodeID, contact: GRPCPeerTransport.PeerContact, configuration: Configuration,
                              peerAddress: HostPort?) -> Admin_NodeStatus {
        var node = contact.lastStatus.map { Self.node(from: $0, configuration: configuration) } ?? Admin_NodeStatus()
        node.id = id
        if node.peerAddress.isEmpty { node.peerAddress = peerAddress.map { "\($0)" } ?? "" }
        node.membership = membership(of: id, in: configuration)
        // Its role is not known now, whatever it was.
        node.role = .unspecified
        node.isLeader = false
        node.up = false
        return node
    }

    static func node(from wire: Raftpb_StatusResponse, configuration: Configuration) -> Admin_NodeStatus {
        var node = Admin_NodeStatus()
        node.id = wire.nodeID
        node.apiAddress = wire.apiAddress
        node.peerAddress = wire.peerAddress
        node.membership = membership(of: wire.nodeID, in: configuration)
        node.role = adminRole(wire.role)
        node.term = wire.term
        node.commitIndex = wire.commitIndex
        node.appliedIndex = wire.appliedIndex
        node.lastIndex = wire.lastIndex
        node.snapshotIndex = wire.snapshotIndex
        node.isLeader = wire.role == .leader
        node.chunks = wire.chunks.chunks
        node.chunkRawBytes = wire.chunks.rawBytes
        node.chunkStoredBytes = wire.chunks.storedBytes
        return node
    }

    static func adminRole(_ role: Raftpb_Role) -> Admin_RaftRole {
        switch role {
        case .follower: return .follower
        case .preCandidate: return .preCandidate
        case .candidate: return .candidate
        case .leader: return .leader
        case .unspecified, .UNRECOGNIZED: return .unspecified
        }
    }

    static func membership(of id: NodeID, in configuration: Configuration) -> Admin_Membership {
        if configuration.voters.contains(id) { return .voter }
        if configuration.learners.contains(id) { return .learner }
        return .unspecified
    }
}

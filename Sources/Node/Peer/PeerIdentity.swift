import GRPCCore
import PachAPI
import Raft

/// Who this node is among its peers: checked on every peer request before anything is stepped, so
/// that a node of another cluster (signed by the same CA) or a peer that means another node is refused
/// with FAILED_PRECONDITION, and says so in its error.
struct PeerIdentity: Sendable, Equatable {
    var clusterID: String
    var nodeID: NodeID

    /// The header a request from us to `peer` carries.
    func header(to peer: NodeID) -> Raftpb_PeerHeader {
        var header = Raftpb_PeerHeader()
        header.clusterID = clusterID
        header.from = nodeID
        header.to = peer
        return header
    }

    /// Throws FAILED_PRECONDITION unless `header` names our cluster and us, from a real node id.
    func check(_ header: Raftpb_PeerHeader?) throws(RPCError) {
        guard let header else {
            throw RPCError(code: .invalidArgument, message: "the request carries no peer header")
        }
        guard header.clusterID == clusterID else {
            throw RPCError(code: .failedPrecondition,
                           message: "cluster mismatch: node \(nodeID) belongs to cluster \(clusterID), "
                               + "the caller to cluster \(header.clusterID)")
        }
        guard header.to == nodeID else {
            throw RPCError(code: .failedPrecondition,
                           message: "node mismatch: the caller meant node \(header.to), this is node \(nodeID)")
        }
        guard header.from != noNode, header.from != nodeID else {
            throw RPCError(code: .invalidArgument, message: "the caller's node id \(header.from) is not valid")
        }
    }
}

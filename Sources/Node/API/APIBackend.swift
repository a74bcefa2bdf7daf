import GRPCCore
import PFS
import PachAPI
import Raft

/// What the public API needs from the node, and nothing more: the handlers in this folder see the
/// cluster only through it, so they can be tested against a fake that applies commands directly to a
/// `MetadataStateMachine`. The node's context (Raft node, peer layer, config) conforms.
protocol APIBackend: Sendable {
    /// The replicated PFS metadata, read by queries after `linearizableRead()`.
    var metadata: MetadataStateMachine { get }

    /// Proposes `command` (an encoded `MetadataCommand`) through Raft, forwarded to the leader when this
    /// node is a follower, and returns the state machine's answer bytes (an encoded `MetadataResult`).
    /// Exactly-once per (`client`, `sequence`), as `RaftNode.propose` documents.
    func propose(_ command: [UInt8], client: ClientID, sequence: UInt64) async throws(RaftError) -> [UInt8]

    /// Returns once the local state machine has applied a linearizable read point (ReadIndex).
    func linearizableRead() async throws(RaftError)

    /// Wall-clock time in nanoseconds since the Unix epoch, for times the proposer supplies (the state
    /// machine may not read a clock). Injectable so tests are reproducible.
    func nowNanos() -> Int64

    /// File contents and trees (the replicated chunk store); nil on a node without one, where file calls
    /// answer UNAVAILABLE.
    var files: (any FileStorage)? { get }

    /// Every member's status as this node sees it; members the peer layer cannot reach are marked down.
    func clusterStatus() async -> Admin_ClusterStatusResponse

    /// Takes node `id` out of the cluster (Raft configuration, then its member record); the errors are
    /// the gRPC statuses a client should see.
    func removeNode(_ id: UInt64) async throws(RPCError)

    /// This node's own Raft status, for `Health` (cheap: no peer is asked).
    var raftStatus: RaftStatus { get }

    /// The version pachd reports, e.g. "0.3.0-dev+<sha>".
    var version: String { get }

    /// This node's Raft id.
    var nodeID: UInt64 { get }

    /// SHA-256 of the admin token. A call's `authorization: Bearer <token>` must hash to it; the token
    /// itself is never kept.
    var adminTokenSHA256: [UInt8] { get }
}

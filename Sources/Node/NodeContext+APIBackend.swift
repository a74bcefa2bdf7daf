import PachAPI
import PFS
import Raft

/// The node as the public API handlers (Sources/Node/API) see it.
extension NodeContext: APIBackend {
    func propose(_ command: [UInt8], client: ClientID, sequence: UInt64) async throws(RaftError) -> [UInt8] {
        try await raft.propose(command, client: client, sequence: sequence)
    }

    func linearizableRead() async throws(RaftError) {
        _ = try await raft.linearizableRead()
    }

    func nowNanos() -> Int64 {
        Int64(clamping: clock.nowNanos())
    }

    func clusterStatus() async -> Admin_ClusterStatusResponse {
        await ClusterStatusCollector(clusterID: config.clusterID, apiAddress: "\(config.apiAddress)",
                                     peerAddress: "\(config.peerAddress)", raft: raft, peers: peers).collect()
    }

    var raftStatus: RaftStatus { raft.status }

    var version: String { PachdVersion.current }

    var nodeID: UInt64 { config.id }

    var adminTokenSHA256: [UInt8] { adminTokenHash.digest }
}

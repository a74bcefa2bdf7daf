import GRPCCore
import PachAPI
import PFS
import Raft

/// The node as the public API handlers (Sources/Node/API) see it.
extension NodeContext: APIBackend {
    func propose(_ command: [UInt8], client: ClientID, sequence: UInt64) async throws(RaftError) -> [UInt8] {
        metrics.proposalSubmitted()
        let started = ContinuousClock.now
        do {
            let answer = try await raft.propose(command, client: client, sequence: sequence)
            metrics.proposalFinished(failure: nil, elapsed: ContinuousClock.now - started)
            return answer
        } catch {
            metrics.proposalFinished(failure: error, elapsed: ContinuousClock.now - started)
            throw error
        }
    }

    func linearizableRead() async throws(RaftError) {
        _ = try await raft.linearizableRead()
    }

    func nowNanos() -> Int64 {
        Int64(clamping: clock.nowNanos())
    }

    func clusterStatus() async -> Admin_ClusterStatusResponse {
        await ClusterStatusCollector(clusterID: config.clusterID, apiAddress: "\(config.apiAddress)",
                                     peerAddress: "\(config.peerAddress)", raft: raft, peers: peers,
                                     records: metadata.listMembers(), chunks: chunks).collect()
    }

    func removeNode(_ id: UInt64) async throws(RPCError) {
        do { try await membership.remove(node: id) } catch { throw StatusMapping.rpcError(for: error) }
    }

    var raftStatus: RaftStatus { raft.status }

    var version: String { PachdVersion.current }

    var nodeID: UInt64 { config.id }

    var adminTokenSHA256: [UInt8] { adminTokenHash.digest }
}

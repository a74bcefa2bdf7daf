import PachAPI
import Replication

/// What a node reports about its chunks in the peer `Status` answer (and so in cluster status).
protocol ChunkStatusSource: Sendable {
    /// Adds the store's totals and, on the leader, its latest repair pass to `response`.
    func fill(_ response: inout Raftpb_StatusResponse) async
}

extension NodeChunks: ChunkStatusSource {
    func fill(_ response: inout Raftpb_StatusResponse) async {
        let totals = await totals()
        var store = Raftpb_ChunkStoreStatus()
        store.chunks = UInt64(totals.chunks)
        store.rawBytes = UInt64(totals.rawBytes)
        store.storedBytes = UInt64(totals.storedBytes)
        store.availableBytes = UInt64(totals.availableBytes)
        response.chunks = store
        if raft.status.role == .leader, let report = latestRepair { response.repair = Self.wire(report) }
    }

    static func wire(_ report: RepairReport) -> Raftpb_RepairStatus {
        var repair = Raftpb_RepairStatus()
        repair.chunks = UInt64(report.chunks)
        repair.underReplicatedChunks = UInt64(report.underReplicatedChunks)
        repair.underReplicatedBytes = UInt64(report.underReplicatedBytes)
        repair.lostChunks = UInt64(report.lost.count)
        return repair
    }
}

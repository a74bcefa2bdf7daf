import Prometheus
import Raft
import Replication

/// The chunk store's metrics, `pachd_chunk_*`. Counters are made on first use (the registry returns the
/// same series for the same name and labels); gauges are refreshed by the scrub loop.
extension NodeMetrics {
    private static func chunk(_ name: String, unit: String = "", help: String) -> MetricNameDescriptor {
        Self.name("chunk", name, unit: unit, help: help)
    }

    /// Which way bytes crossed the network.
    enum Direction: String, Sendable {
        case sent, received
    }

    /// Frame bytes exchanged with `peer`.
    func chunkBytes(_ direction: Direction, peer: NodeID, bytes: Int) {
        guard bytes > 0 else { return }
        registry.makeCounter(
            descriptor: Self.chunk("peer_bytes", unit: "total", help: "Chunk frame bytes sent to or received from a peer."),
            labels: [("peer", "\(peer)"), ("direction", direction.rawValue)]).increment(by: Int64(bytes))
    }

    /// What this node's store did with one frame: `stored`, `deduplicated` (already held) or `refused`.
    func chunkWrite(_ outcome: String) {
        registry.makeCounter(
            descriptor: Self.chunk("writes", unit: "total",
                                   help: "Frames offered to this node's store, by outcome (deduplicated: already held)."),
            labels: [("outcome", outcome)]).increment()
    }

    /// A chunk read from this node's store (for a client or a peer).
    func chunkRead(found: Bool) {
        registry.makeCounter(
            descriptor: Self.chunk("reads", unit: "total", help: "Chunks read from this node's store, by result."),
            labels: [("result", found ? "found" : "missing")]).increment()
    }

    /// Chunks the scrub found corrupt (and quarantined).
    func chunkScrubCorrupt(_ count: Int) {
        registry.makeCounter(
            descriptor: Self.chunk("scrub_corrupt", unit: "total",
                                   help: "Chunks the background scrub found corrupt and quarantined."))
            .increment(by: Int64(count))
    }

    /// One GC pass on the leader: chunks and bytes deleted, passes by outcome.
    func gcPass(_ report: GarbageCollector.Report) {
        registry.makeCounter(
            descriptor: Self.chunk("gc_passes", unit: "total", help: "GC passes run by this node as leader, by outcome."),
            labels: [("outcome", report.failures.isEmpty ? "complete" : "partial")]).increment()
        registry.makeCounter(
            descriptor: Self.chunk("gc_deleted", unit: "total", help: "Unreferenced chunks deleted by GC passes run by this node."))
            .increment(by: Int64(report.deleted))
        registry.makeCounter(
            descriptor: Self.chunk("gc_deleted_bytes", unit: "total", help: "Bytes on disk freed by GC passes run by this node."))
            .increment(by: Int64(report.deletedBytes))
    }

    /// Refreshes the store and repair gauges.
    func sampleChunks(totals: ChunkTotals, repair: RepairReport?) {
        func gauge(_ name: String, _ help: String) -> Gauge {
            registry.makeGauge(descriptor: Self.chunk(name, help: help))
        }
        gauge("held", "Chunks in this node's store.").set(Double(totals.chunks))
        gauge("raw_bytes", "Decoded bytes of the chunks in this node's store.").set(Double(totals.rawBytes))
        gauge("stored_bytes", "Bytes on disk of the chunks in this node's store.").set(Double(totals.storedBytes))
        gauge("compression_ratio", "Raw bytes over stored bytes in this node's store (1 when empty).")
            .set(totals.storedBytes > 0 ? Double(totals.rawBytes) / Double(totals.storedBytes) : 1)
        gauge("repair_backlog_chunks", "On the leader: chunks with fewer than R live copies at its latest repair pass.")
            .set(Double(repair?.underReplicatedChunks ?? 0))
        gauge("repair_backlog_bytes", "On the leader: their raw bytes.").set(Double(repair?.underReplicatedBytes ?? 0))
        gauge("lost", "On the leader: chunks with no live copy at its latest repair pass.").set(Double(repair?.lost.count ?? 0))
    }
}

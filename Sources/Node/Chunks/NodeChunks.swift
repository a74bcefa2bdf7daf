import Logging
import PFS
import Raft
import Replication
import Synchronization

/// This node's part in the replicated chunk store (DESIGN.md, "Data path"): its own store, the other
/// members' stores through `GRPCChunkPeers`, and who counts as live, from the replicated member records.
///
/// Writes and reads may start on any node. Repair runs on the leader only (the coordinator), every
/// `repairInterval`, and its latest report is what `cluster status` shows as under-replicated data.
final class NodeChunks: Sendable {
    struct Options: Sendable, Equatable {
        /// R: copies of every chunk (fewer while fewer members are live).
        var replicationFactor = 3
        /// How often the leader runs a repair pass.
        var repairInterval: Duration = .seconds(10)
        /// The repair pass's copy budget, so that it does not starve client traffic.
        var repairBytesPerSecond = 64 << 20
        /// Free space every store keeps for the node's Raft log and snapshots.
        var reserveBytes = 1 << 30
        /// How often the background scrub runs, and how many chunks it re-verifies per second.
        var scrubInterval: Duration = .seconds(10)
        var scrubChunksPerSecond = 50
        /// How often the leader runs garbage collection, and how long a chunk written or reused is
        /// spared (on top of the age of the oldest upload in flight anywhere).
        var gcInterval: Duration = .seconds(300)
        var gcGrace: Duration = .seconds(3600)
    }

    let selfID: NodeID
    let options: Options
    let store: AsyncChunkStore
    let peers: GRPCChunkPeers
    /// CPU work (chunking, hashing, compression, decompression) runs here, off the cooperative pool.
    let cpu: BlockingExecutor
    let raft: RaftNode
    let metadata: MetadataStateMachine
    let logger: Logger
    let metrics: NodeMetrics?
    private let lastRepair = Mutex<RepairReport?>(nil)
    private let lastGC = Mutex<GarbageCollector.Report?>(nil)

    init(selfID: NodeID, options: Options, store: AsyncChunkStore, peers: GRPCChunkPeers, cpu: BlockingExecutor,
         raft: RaftNode, metadata: MetadataStateMachine, logger: Logger, metrics: NodeMetrics? = nil) {
        self.metrics = metrics
        self.selfID = selfID
        self.options = options
        self.store = store
        self.peers = peers
        self.cpu = cpu
        self.raft = raft
        self.metadata = metadata
        self.logger = logger
    }

    // MARK: Who holds what

    /// The members chunks go to now: those in the Raft configuration that the leader has not recorded as
    /// down (a founder that has not registered its addresses yet counts as up: its peers know it from
    /// `--peers`), by id.
    func liveMembers() -> [MemberID] {
        let down = Set(metadata.listMembers().filter { !$0.isUp }.map(\.id))
        return raft.status.configuration.members.filter { !down.contains($0) }.sorted()
    }

    /// Whether no configured member is recorded as down (surplus copies may be dropped only then).
    func isHealthy() -> Bool {
        let down = Set(metadata.listMembers().filter { !$0.isUp }.map(\.id))
        return raft.status.configuration.members.isDisjoint(with: down)
    }

    /// R and W for the cluster as it is: `min_replicas` is 2 once the cluster has two members, else 1.
    func policy() -> ReplicationPolicy {
        let members = raft.status.configuration.members.count
        return ReplicationPolicy(replicationFactor: options.replicationFactor, minReplicas: members >= 2 ? 2 : 1)
    }

    func writer() -> ChunkWriter {
        ChunkWriter(peers: peers, policy: policy(), logger: logger)
    }

    func reader() -> ChunkReader {
        ChunkReader(peers: peers, selfID: selfID, policy: policy(), logger: logger)
    }

    // MARK: Repair

    /// The leader's latest repair pass (nil before the first, or on a node that never led).
    var latestRepair: RepairReport? {
        lastRepair.withLock { $0 }
    }

    /// Runs a repair pass every `repairInterval` while this node leads, until cancelled.
    func runRepair() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: options.repairInterval)
            guard raft.status.role == .leader, raft.status.isRunning else { continue }
            let live = liveMembers()
            guard !live.isEmpty else { continue }
            let repairer = Repairer(peers: peers, policy: policy(), bytesPerSecond: options.repairBytesPerSecond,
                                    logger: logger)
            let report = await repairer.runPass(live: live, healthy: isHealthy())
            lastRepair.withLock { $0 = report }
            if report.copied > 0 || report.dropped > 0 || !report.lost.isEmpty || !report.failures.isEmpty {
                logger.notice("repair pass", metadata: ["repair.report": "\(report)"])
            }
        }
    }

    // MARK: Garbage collection

    /// The leader's latest GC pass (nil before the first).
    var latestGC: GarbageCollector.Report? {
        lastGC.withLock { $0 }
    }

    /// This node's uploads in flight.
    var uploads: UploadRegistry { peers.uploads }

    /// Runs a GC pass every `gcInterval` while this node leads, until cancelled: mark from the metadata's
    /// roots at a linearizable read point (reading trees through `trees`), then sweep every live member.
    /// A mark that fails (an object unreadable) sweeps nothing.
    func runGC(trees: TreeReader) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: options.gcInterval)
            guard raft.status.role == .leader, raft.status.isRunning else { continue }
            let report = await collectGarbage(trees: trees)
            lastGC.withLock { $0 = report }
            metrics?.gcPass(report)
            if report.deleted > 0 || !report.failures.isEmpty {
                logger.notice("gc pass", metadata: ["gc.report": "\(report)"])
            }
        }
    }

    /// One GC pass (see `runGC`).
    func collectGarbage(trees: TreeReader) async -> GarbageCollector.Report {
        let markedAt = ChunkStore.monotonicNanos()
        var failed = GarbageCollector.Report()
        do { _ = try await raft.linearizableRead() } catch {
            failed.failures.append("no read point (\(error)); nothing swept")
            return failed
        }
        let roots = metadata.gcRoots()
        var treeRoots: [ChunkID] = []
        for hex in roots.treeRoots {
            guard let id = ChunkID(hex: hex) else {
                failed.failures.append("a commit records root tree id '\(hex)'; nothing swept")
                return failed
            }
            treeRoots.append(id)
        }
        let marked: Set<ChunkID>
        do {
            marked = try await GarbageMarker.mark(treeRoots: treeRoots, staged: roots.staged, reader: trees)
        } catch {
            failed.failures.append("the mark could not read every object (\(error)); nothing swept")
            logger.error("gc mark failed; nothing swept", metadata: ["error": "\(error)"])
            return failed
        }
        let collector = GarbageCollector(peers: peers, grace: options.gcGrace, logger: logger)
        return await collector.sweep(marked: marked, live: liveMembers(), markedAt: markedAt)
    }

    /// Re-verifies the local store a slice at a time, every `scrubInterval`, until cancelled. A corrupt
    /// chunk is quarantined by the store (so it is no longer listed here) and the leader's next repair
    /// pass copies it back from a replica. Also refreshes the chunk gauges.
    func runScrub() async {
        let slice = max(1, options.scrubChunksPerSecond * Int(options.scrubInterval.components.seconds))
        while !Task.isCancelled {
            try? await Task.sleep(for: options.scrubInterval)
            do {
                let report = try await store.scrub(limit: slice)
                if !report.corrupt.isEmpty {
                    metrics?.chunkScrubCorrupt(report.corrupt.count)
                    logger.error("scrub found corrupt chunks; quarantined, repair copies them back",
                                 metadata: ["chunk.ids": "\(report.corrupt.prefix(10).map(\.hex))",
                                            "chunk.count": "\(report.corrupt.count)"])
                }
            } catch {
                logger.warning("scrub failed", metadata: ["error": "\(error)"])
            }
            metrics?.sampleChunks(totals: await totals(), repair: latestRepair)
        }
    }

    /// This node's store totals (zero if they cannot be read).
    func totals() async -> ChunkTotals {
        (try? await ChunkTotals.read(store)) ?? .zero
    }

    /// Stops the chunk traffic and the store's threads.
    func shutdown() async {
        await peers.shutdown()
        cpu.shutdown()
        store.executor.shutdown()
        store.store.close()
    }
}

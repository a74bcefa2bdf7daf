import Logging
import Synchronization

/// Brings every chunk back to R good copies on its intended replicas (DESIGN.md, Data path, "Repair"):
/// the driver of `RepairPlanner`. The node's coordinator (on the Raft leader) runs a pass after the
/// membership or liveness changes and periodically; passes are idempotent, so one that failed halfway is
/// simply run again.
///
/// One pass:
/// 1. lists every live member's chunks, page by page (the inventory);
/// 2. plans with `RepairPlanner` over the live members and R from the policy;
/// 3. carries out the transfers: fetches the chunk from its best-ranked live holder (the next holder when
///    that one fails), verifies it, and puts it on every target missing it; several chunks in flight, at
///    most `bytesPerSecond` frame bytes a second over the pass (a token bucket on the injected clock);
/// 4. only when `healthy` (every member of the cluster is live) and every listing succeeded, deletes the
///    surplus copies the plan names, after asking each intended replica again that it still holds the
///    chunk. A copy on one of the R intended replicas is never deleted.
///
/// Data moves through the member running the pass (get from the holder, put on the target); the peer API
/// has no "copy from" call yet.
public final class Repairer: Sendable {
    let peers: any ChunkPeers
    let policy: ReplicationPolicy
    private let clock: PacingClock
    private let bucket: Mutex<TokenBucket>
    private let listPageSize: Int
    let chunksInFlight: Int
    let logger: Logger

    /// Directives planned at a time: bounds the memory of a plan, not the work of a pass.
    static let planTransfersMax = 1_000
    static let planDropsMax = 1_000

    /// - Parameters:
    ///   - bytesPerSecond: the copy bandwidth of a pass, in frame bytes; MUST be positive. Bursts of up to
    ///     one second's worth go through at once.
    ///   - clock: time for the bandwidth limit; `.continuous` unless testing.
    ///   - listPageSize: chunks asked for per `list` call.
    ///   - chunksInFlight: chunks being copied at once.
    public init(peers: any ChunkPeers, policy: ReplicationPolicy, bytesPerSecond: Int, clock: PacingClock = .continuous,
                listPageSize: Int = 1_000, chunksInFlight: Int = 4, logger: Logger = Logger(label: "replication.repair")) {
        precondition(bytesPerSecond > 0, "bytesPerSecond \(bytesPerSecond) must be positive")
        precondition(listPageSize >= 1 && chunksInFlight >= 1, "listPageSize \(listPageSize), chunksInFlight \(chunksInFlight)")
        self.peers = peers
        self.policy = policy
        self.clock = clock
        bucket = Mutex(TokenBucket(ratePerSecond: bytesPerSecond, burst: bytesPerSecond, now: clock.now()))
        self.listPageSize = listPageSize
        self.chunksInFlight = chunksInFlight
        self.logger = logger
    }

    /// Runs one pass over `live` (the members up now, this one included when it is); see the type's doc.
    /// Cancelling the task stops the pass between copies (`RepairReport.cancelled`).
    public func runPass(live: [MemberID], healthy: Bool) async -> RepairReport {
        var report = RepairReport()
        let members = Array(Set(live)).sorted()
        guard !members.isEmpty else { return report }
        var inventory = await survey(members)
        report.failures += inventory.failures
        let replicaCount = policy.replicaCount(liveCount: members.count)
        report.chunks = inventory.holders.count
        for (id, held) in inventory.holders where held.count < replicaCount {
            report.underReplicatedChunks += 1
            report.underReplicatedBytes += inventory.sizes[id]?.rawLength ?? 0
        }
        let mayDrop = healthy && inventory.failures.isEmpty
        var cursor: ChunkID?
        repeat {
            let plan = RepairPlanner.plan(
                holders: inventory.holders, live: members, replicationFactor: policy.replicationFactor,
                from: cursor, maxTransfers: Self.planTransfersMax, maxDrops: Self.planDropsMax)
            report.lost += plan.lost
            await copy(plan.transfers, members: members, inventory: &inventory, report: &report)
            if report.cancelled { break }
            if mayDrop { await drop(plan.drops, members: members, inventory: &inventory, report: &report) }
            cursor = plan.next
        } while cursor != nil
        if mayDrop && report.copied > 0 && !report.cancelled {
            // Copies made above completed chunks whose surplus the plan could not drop yet (it drops only
            // where every target already holds a copy); the updated inventory lets this pass finish them.
            await dropCompleted(members: members, inventory: &inventory, report: &report)
        }
        report.lost = Array(Set(report.lost)).sorted()
        logger.debug("repair pass", metadata: [
            "replication.live": "\(members)", "replication.healthy": "\(healthy)", "replication.report": "\(report)",
        ])
        return report
    }

    /// Drops every surplus copy a fresh plan over `inventory` names (its transfers are left to the next
    /// pass: they are the copies that just failed).
    private func dropCompleted(members: [MemberID], inventory: inout Inventory, report: inout RepairReport) async {
        var cursor: ChunkID?
        repeat {
            let plan = RepairPlanner.plan(
                holders: inventory.holders, live: members, replicationFactor: policy.replicationFactor,
                from: cursor, maxTransfers: Self.planTransfersMax, maxDrops: Self.planDropsMax)
            await drop(plan.drops, members: members, inventory: &inventory, report: &report)
            cursor = plan.next
        } while cursor != nil && !Task.isCancelled
    }

    /// Who holds what among the live members, as far as their listings said.
    struct Inventory {
        var holders: [ChunkID: Set<MemberID>] = [:]
        var sizes: [ChunkID: ChunkInfo] = [:]
        /// Members whose listing failed (their chunks are partly or wholly unknown), with why.
        var failures: [String] = []
    }

    /// Lists every member's chunks, all members at once.
    private func survey(_ members: [MemberID]) async -> Inventory {
        await withTaskGroup(of: (MemberID, Result<[ChunkInfo], ReplicationError>).self) { group in
            for member in members {
                group.addTask { (member, await self.listAll(on: member)) }
            }
            var inventory = Inventory()
            for await (member, listing) in group {
                switch listing {
                case .success(let chunks):
                    for chunk in chunks {
                        inventory.holders[chunk.id, default: []].insert(member)
                        inventory.sizes[chunk.id] = chunk
                    }
                case .failure(let error):
                    inventory.failures.append("list node \(member): \(error)")
                }
            }
            inventory.failures.sort()
            return inventory
        }
    }

    /// Every chunk `member` holds, page by page.
    private func listAll(on member: MemberID) async -> Result<[ChunkInfo], ReplicationError> {
        var chunks: [ChunkInfo] = []
        var cursor: ChunkID?
        do throws(ReplicationError) {
            repeat {
                let page = try await peers.list(on: member, after: cursor, limit: listPageSize)
                chunks += page.chunks
                if let next = page.next, let previous = cursor, next <= previous {
                    throw .peerUnavailable(member, "its chunk listing went back from \(previous) to \(next)")
                }
                cursor = page.next
            } while cursor != nil
        } catch {
            return .failure(error)
        }
        return .success(chunks)
    }

    /// Waits until the bandwidth limit lets `bytes` more through; false when the task was cancelled.
    func pace(_ bytes: Int) async -> Bool {
        let now = clock.now()
        let wait = bucket.withLock { $0.take(bytes, now: now) }
        guard wait > .zero else { return !Task.isCancelled }
        do {
            try await clock.sleep(wait)
        } catch {
            return false
        }
        return !Task.isCancelled
    }
}

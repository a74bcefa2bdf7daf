import Replication

/// Where each datum of a job runs: the pure core of the coordinator's scheduling (DESIGN.md: "each datum
/// goes to the node holding the most of its bytes locally, balanced by free worker slots; datums are
/// batched so that a container start is not paid per tiny datum"). No I/O and no clock: the same input
/// gives the same plan on every node, which is what lets a new leader resume a job where the old left it.
public enum Scheduler {
    /// What the scheduler knows of one datum: how many of its bytes each node holds.
    public struct DatumBytes: Sendable, Hashable {
        /// The datum's total input bytes.
        public var total: UInt64
        /// Bytes held locally, by node (a chunk on several nodes counts on each).
        public var local: [MemberID: UInt64]

        public init(total: UInt64, local: [MemberID: UInt64]) {
            self.total = total
            self.local = local
        }
    }

    /// A node that can run datums, with its free worker slots.
    public struct Worker: Sendable, Hashable {
        public var node: MemberID
        public var slots: Int

        public init(node: MemberID, slots: Int) {
            self.node = node
            self.slots = slots
        }
    }

    /// Tuning; the defaults are what the coordinator uses.
    public struct Options: Sendable, Hashable {
        /// Cost of starting a datum, in byte-equivalents: what makes a thousand empty files more work
        /// than one, and small datums worth batching.
        public var overheadBytes: UInt64 = 256 << 10
        /// A node may take this much more than its share of the work (by slots) to keep datums local.
        public var slack = 0.15
        /// A batch ends at this many datums …
        public var batchDatums = 256
        /// … or at this many input bytes, whichever comes first; a datum larger than this runs alone.
        public var batchBytes: UInt64 = 64 << 20

        public init() {}
    }

    /// Datums (by index into the input) that one container start on `node` runs, in order.
    public struct Batch: Sendable, Hashable {
        public var node: MemberID
        public var datums: [Int]
        /// Input bytes the node reads from its own chunk store / from peers.
        public var localBytes: UInt64
        public var remoteBytes: UInt64
    }

    /// The plan: batches per node, and totals.
    public struct Plan: Sendable, Hashable {
        /// Every datum in exactly one batch; batches ordered by node, then by first datum.
        public var batches: [Batch]
        /// For each datum (by index), the node it runs on.
        public var nodeOf: [MemberID]

        public var localBytes: UInt64 { batches.reduce(0) { $0 + $1.localBytes } }
        public var remoteBytes: UInt64 { batches.reduce(0) { $0 + $1.remoteBytes } }
        /// Local bytes over all bytes read (1 when nothing is read).
        public var locality: Double {
            let total = localBytes + remoteBytes
            return total == 0 ? 1 : Double(localBytes) / Double(total)
        }
    }

    /// Plans `datums` over `workers` (those with no slots take nothing). Greedy, largest datums first:
    /// each goes to the node holding most of its bytes among those still under their share of the work
    /// (cost = bytes + overhead, shares by slots, plus `slack`); when every holder is full, to the least
    /// loaded node. Ties between holders go to the less loaded one, then to the lower node id. Throws when
    /// no worker has a slot.
    public static func plan(_ datums: [DatumBytes], workers: [Worker], options: Options = Options())
        throws(SchedulerError) -> Plan {
        let live = workers.filter { $0.slots > 0 }.sorted { $0.node < $1.node }
        guard !live.isEmpty else { throw .noWorkers(datums: datums.count) }
        let cost = datums.map { $0.total + options.overheadBytes }
        let totalCost = cost.reduce(0.0) { $0 + Double($1) }
        let totalSlots = live.reduce(0) { $0 + $1.slots }
        var capacity: [MemberID: Double] = [:]
        var load: [MemberID: Double] = [:]
        for worker in live {
            capacity[worker.node] = totalCost * Double(worker.slots) / Double(totalSlots) * (1 + options.slack)
            load[worker.node] = 0
        }

        let order = datums.indices.sorted { cost[$0] != cost[$1] ? cost[$0] > cost[$1] : $0 < $1 }
        var nodeOf = [MemberID](repeating: 0, count: datums.count)
        for index in order {
            let datum = datums[index]
            let fits = live.filter { load[$0.node]! + Double(cost[index]) <= capacity[$0.node]! }
            let chosen: MemberID
            // Most bytes held; among equal holders the least loaded (by share), then the lower id.
            let best = fits.min { lhs, rhs in
                let (left, right) = (datum.local[lhs.node, default: 0], datum.local[rhs.node, default: 0])
                if left != right { return left > right }
                let (leftLoad, rightLoad) = (load[lhs.node]! / Double(lhs.slots), load[rhs.node]! / Double(rhs.slots))
                return leftLoad != rightLoad ? leftLoad < rightLoad : lhs.node < rhs.node
            }
            if let best, datum.local[best.node, default: 0] > 0 {
                chosen = best.node
            } else {
                // Nobody with room holds any of it (or nobody has room): the least loaded node, by share.
                chosen = live.min { lhs, rhs in
                    let left = load[lhs.node]! / Double(lhs.slots)
                    let right = load[rhs.node]! / Double(rhs.slots)
                    return left != right ? left < right : lhs.node < rhs.node
                }!.node
            }
            nodeOf[index] = chosen
            load[chosen]! += Double(cost[index])
        }
        return Plan(batches: batches(datums, nodeOf: nodeOf, live: live, options: options), nodeOf: nodeOf)
    }

    /// Each node's datums, in index order, cut into batches: at most `batchDatums` each, and at least as
    /// many batches as the node has slots when it has the datums for them (so every slot works).
    private static func batches(_ datums: [DatumBytes], nodeOf: [MemberID], live: [Worker], options: Options) -> [Batch] {
        var result: [Batch] = []
        for worker in live {
            var current: Batch?
            var currentBytes: UInt64 = 0
            let mine = datums.indices.filter { nodeOf[$0] == worker.node }
            let perSlot = (mine.count + worker.slots - 1) / max(1, worker.slots)
            let limit = max(1, min(options.batchDatums, perSlot))
            for index in mine {
                let datum = datums[index]
                let local = min(datum.local[worker.node, default: 0], datum.total)
                if let batch = current, batch.datums.count == limit || currentBytes + datum.total > options.batchBytes {
                    result.append(batch)
                    current = nil
                }
                if current == nil {
                    current = Batch(node: worker.node, datums: [], localBytes: 0, remoteBytes: 0)
                    currentBytes = 0
                }
                current!.datums.append(index)
                current!.localBytes += local
                current!.remoteBytes += datum.total - local
                currentBytes += datum.total
            }
            if let current { result.append(current) }
        }
        return result
    }
}

public enum SchedulerError: Error, Sendable, Hashable, CustomStringConvertible {
    case noWorkers(datums: Int)

    public var description: String {
        switch self {
        case .noWorkers(let datums): return "no node has a free worker slot for \(datums) datum(s); start a node or wait for one"
        }
    }
}

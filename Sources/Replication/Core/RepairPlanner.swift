/// Decides which copies to make and which to remove so every chunk ends up on its intended replicas:
/// a pure function from what is held where to a list of directives, run by the coordinator (on the
/// Raft leader) and carried out by the holders (STYLE.md: cores are I/O-free).
///
/// For each chunk, in id order:
/// - its *targets* are the first `min(R, live members)` live members in rendezvous order (`Placement`);
/// - each target without a copy gets a `Transfer` from the live holder that ranks highest for the chunk
///   (so the load of re-replicating a dead member's chunks spreads over the survivors);
/// - only when every target already holds a copy are copies elsewhere (on live members off the target
///   list) dropped, so a plan never lowers the number of good copies below R, even half applied;
/// - a chunk with no live holder cannot be repaired here and is reported as `lost`.
/// Copies on members that are not live are neither sources nor dropped: the member may come back.
public enum RepairPlanner {
    /// Copy `chunk` from the member `from` (which holds it) to `to` (which should).
    public struct Transfer: Sendable, Hashable, CustomStringConvertible {
        /// The chunk to copy.
        public let chunk: ChunkID
        /// A live member holding it.
        public let from: MemberID
        /// A live replica missing it.
        public let to: MemberID

        public init(chunk: ChunkID, from: MemberID, to: MemberID) {
            self.chunk = chunk
            self.from = from
            self.to = to
        }

        public var description: String { "transfer \(chunk) \(from)→\(to)" }
    }

    /// Remove the surplus copy of `chunk` at `at`.
    public struct Drop: Sendable, Hashable, CustomStringConvertible {
        /// The chunk whose copy is surplus.
        public let chunk: ChunkID
        /// The live member holding a copy it should not.
        public let at: MemberID

        public init(chunk: ChunkID, at: MemberID) {
            self.chunk = chunk
            self.at = at
        }

        public var description: String { "drop \(chunk) at \(at)" }
    }

    /// One call's directives.
    public struct Plan: Sendable, Equatable {
        /// Copies to make, in chunk id order.
        public var transfers: [Transfer] = []
        /// Surplus copies to remove, in chunk id order.
        public var drops: [Drop] = []
        /// Chunks with no copy on any live member.
        public var lost: [ChunkID] = []
        /// The first chunk not (or not fully) planned when a bound stopped this call early: pass it as
        /// `from` to continue, or plan again from the start once these directives are applied. Nil when
        /// every chunk was examined.
        public var next: ChunkID?

        /// Whether the plan has nothing to do.
        public var isEmpty: Bool { transfers.isEmpty && drops.isEmpty }
    }

    /// The directives that move `holders` toward R live copies per chunk on its intended replicas.
    ///
    /// - Parameters:
    ///   - holders: the members known to hold each chunk (any members; only live ones count).
    ///   - live: the members that are up and may send and receive copies.
    ///   - replicationFactor: R, at least 1.
    ///   - from: examine only chunks with this id or greater (a cursor from `Plan.next`).
    ///   - maxTransfers, maxDrops: bounds on this call's directives. A plan stops before the first chunk
    ///     whose directives would exceed either and names it in `next`; a chunk that alone exceeds a bound
    ///     gets as many directives as fit, so every call makes progress.
    public static func plan(
        holders: [ChunkID: Set<MemberID>], live: [MemberID], replicationFactor: Int,
        from: ChunkID? = nil, maxTransfers: Int = 10_000, maxDrops: Int = 10_000
    ) -> Plan {
        precondition(replicationFactor >= 1, "replication factor \(replicationFactor) must be at least 1")
        precondition(maxTransfers >= 1 && maxDrops >= 1, "bounds \(maxTransfers), \(maxDrops) must be positive")
        let liveSet = Set(live)
        let members = liveSet.sorted()
        let targetCount = min(replicationFactor, members.count)
        var plan = Plan()
        // Dictionary order differs between processes; id order makes the plan reproducible and resumable.
        var chunks = Array(holders.keys)
        if let from { chunks.removeAll { $0 < from } }
        chunks.sort()
        for chunk in chunks {
            let held = holders[chunk, default: []].intersection(liveSet)
            guard !held.isEmpty else {
                plan.lost.append(chunk)
                continue
            }
            let ranking = Placement.ranking(for: chunk, members: members)
            let targets = ranking.prefix(targetCount)
            let missing = targets.filter { !held.contains($0) }
            let surplus = missing.isEmpty ? ranking.dropFirst(targetCount).filter { held.contains($0) } : []
            let fits = plan.transfers.count + missing.count <= maxTransfers && plan.drops.count + surplus.count <= maxDrops
            guard fits || plan.isEmpty else {
                plan.next = chunk
                return plan
            }
            // The best-ranked holder: ranking holds every live member, and `held` is not empty.
            let source = ranking.first { held.contains($0) }!
            plan.transfers += missing.prefix(maxTransfers).map { Transfer(chunk: chunk, from: source, to: $0) }
            plan.drops += surplus.prefix(maxDrops).map { Drop(chunk: chunk, at: $0) }
            if !fits {
                plan.next = chunk
                return plan
            }
        }
        return plan
    }
}

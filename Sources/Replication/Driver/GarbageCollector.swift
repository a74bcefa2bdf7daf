import Logging

/// The sweep half of chunk GC (DESIGN.md: "mark from the roots in the state machine; sweep after a grace
/// period"), run by the leader after a complete mark.
///
/// 1. Every live member is asked how long its oldest upload in flight has been running; if any cannot
///    answer, nothing is swept (an upload there might lose chunks). The period a chunk must have been
///    left untouched is the grace period or, if longer, that age plus a margin: every chunk an
///    upload in flight wrote or reused was touched after it began.
/// 2. Each live member's chunks are listed; those not marked are collected there in batches. The member
///    deletes only chunks untouched for the period, checking and removing atomically against writers'
///    `has` (`ChunkStore.collect`), so a chunk a writer just reused instead of sending survives.
///
/// Why this is safe with writes racing the pass: a reference created after the mark is either to a
/// chunk written or reused (touched) since, which the period spares, or to an object reachable from a
/// root that existed at the mark (a copy, an append's old pieces), which the mark kept. The caller MUST
/// mark from a linearizable read taken before this pass starts, and the pass gives up (sweeping nothing
/// more) once it has run for half the grace period, so "since the mark" stays within the period.
public struct GarbageCollector: Sendable {
    /// What a pass did.
    public struct Report: Sendable, Equatable, CustomStringConvertible {
        public var membersSwept = 0
        /// Unmarked chunks found on the members (a chunk on two members counts twice).
        public var candidates = 0
        public var deleted = 0
        public var deletedBytes = 0
        /// Unmarked, but used within the period: kept for a later pass.
        public var recentlyUsed = 0
        /// Why some member was not swept, or the whole pass stopped.
        public var failures: [String] = []

        public init() {}

        public var description: String {
            "swept \(membersSwept) member(s): \(candidates) unreferenced, \(deleted) deleted (\(deletedBytes) bytes), "
                + "\(recentlyUsed) kept as recently used" + (failures.isEmpty ? "" : "; \(failures.joined(separator: "; "))")
        }
    }

    /// Added to the oldest upload's age: covers the time between asking and collecting.
    static let uploadMarginNanos: UInt64 = 60_000_000_000

    let peers: any ChunkPeers
    /// A chunk written or reused within this long is never collected.
    let graceNanos: UInt64
    let logger: Logger
    /// Ids per `collect` call.
    var batch = 1_000
    /// Monotonic nanoseconds (for the pass's own time limit).
    let clock: @Sendable () -> UInt64

    public init(peers: any ChunkPeers, grace: Duration, logger: Logger = Logger(label: "replication.gc"),
                clock: @escaping @Sendable () -> UInt64 = ChunkStore.monotonicNanos) {
        self.peers = peers
        let parts = grace.components
        graceNanos = UInt64(max(0, parts.seconds)) * 1_000_000_000 + UInt64(max(0, parts.attoseconds) / 1_000_000_000)
        self.logger = logger
        self.clock = clock
    }

    /// Deletes, on every member of `live`, the chunks not in `marked` that nobody used within the period.
    /// `markedAt` is when the read point the mark came from was taken (on `clock`).
    public func sweep(marked: Set<ChunkID>, live: [MemberID], markedAt: UInt64) async -> Report {
        var report = Report()
        let started = markedAt
        var oldestUpload: UInt64?
        for member in live {
            do throws(ReplicationError) {
                if let age = try await peers.oldestUploadNanos(on: member) { oldestUpload = max(oldestUpload ?? 0, age) }
            } catch {
                report.failures.append("node \(member) did not say which uploads are in flight (\(error)); nothing swept")
                return report
            }
        }
        let period = oldestUpload.map { max(graceNanos, $0 &+ Self.uploadMarginNanos) } ?? graceNanos
        for member in live {
            do throws(ReplicationError) {
                try await sweep(member, marked: marked, untouchedFor: period, started: started, into: &report)
                report.membersSwept += 1
            } catch {
                report.failures.append("node \(member): \(error)")
            }
            if clock() - started > graceNanos / 2 {
                report.failures.append("the pass ran past half the grace period; the rest waits for the next pass")
                break
            }
        }
        return report
    }

    private func sweep(_ member: MemberID, marked: Set<ChunkID>, untouchedFor period: UInt64, started: UInt64,
                       into report: inout Report) async throws(ReplicationError) {
        var after: ChunkID?
        var candidates: [ChunkID] = []
        repeat {
            let page = try await peers.list(on: member, after: after, limit: 10_000)
            candidates += page.chunks.map(\.id).filter { !marked.contains($0) }
            after = page.next
        } while after != nil
        report.candidates += candidates.count
        for start in stride(from: 0, to: candidates.count, by: batch) {
            guard clock() - started <= graceNanos / 2 else { return }
            let slice = Array(candidates[start..<min(candidates.count, start + batch)])
            let outcome = try await peers.collect(slice, untouchedForNanos: period, on: member)
            report.deleted += outcome.deleted
            report.deletedBytes += outcome.deletedBytes
            report.recentlyUsed += outcome.recentlyUsed
        }
        logger.debug("gc swept a member", metadata: ["replication.member": "\(member)", "replication.candidates": "\(candidates.count)"])
    }
}

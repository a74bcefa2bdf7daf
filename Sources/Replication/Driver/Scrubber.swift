import Logging

/// Re-verifies this member's stored chunks in the background, a few at a time, forever (DESIGN.md:
/// "a periodic scrub re-hashes local chunks").
///
/// Every `interval` it runs `ChunkStore.scrub(limit:)` on the executor with a limit of
/// `chunksPerSecond × interval`, so the disk sees about `chunksPerSecond` chunk reads a second on average
/// (at ~1 MiB a chunk, 4 chunks/s is ~4 MiB/s) and one full pass over N chunks takes N / `chunksPerSecond`
/// seconds. The cursor lives in the store (in memory), so a new scrubber on the same store continues where
/// the last stopped; a restarted process starts again from the first chunk.
///
/// Each report goes to `onReport`. A corrupt copy is already quarantined when it is reported; the node
/// SHOULD then let repair (or a read repair) fetch a good copy from a replica.
public final class Scrubber: Sendable {
    private let store: AsyncChunkStore
    private let limit: Int
    private let interval: Duration
    private let clock: PacingClock
    private let onReport: @Sendable (ChunkStore.ScrubReport) -> Void
    private let logger: Logger

    /// - Parameters:
    ///   - chunksPerSecond: the average verification rate; MUST be positive.
    ///   - interval: time between scrub calls; MUST be positive.
    public init(store: AsyncChunkStore, chunksPerSecond: Int, interval: Duration = .seconds(10),
                clock: PacingClock = .continuous, logger: Logger = Logger(label: "replication.scrub"),
                onReport: @escaping @Sendable (ChunkStore.ScrubReport) -> Void) {
        precondition(chunksPerSecond > 0, "chunksPerSecond \(chunksPerSecond) must be positive")
        precondition(interval > .zero, "interval \(interval) must be positive")
        self.store = store
        limit = max(1, Int((Double(chunksPerSecond) * interval.secondsDouble).rounded(.up)))
        self.interval = interval
        self.clock = clock
        self.onReport = onReport
        self.logger = logger
    }

    /// Chunks verified per call.
    public var chunksPerStep: Int { limit }

    /// Scrubs the next `chunksPerStep` chunks now and reports them.
    @discardableResult
    public func step() async throws(ReplicationError) -> ChunkStore.ScrubReport {
        let report = try await store.scrub(limit: limit)
        if !report.corrupt.isEmpty || !report.vanished.isEmpty {
            logger.debug("scrub found bad copies", metadata: [
                "replication.corrupt": "\(report.corrupt.count)", "replication.vanished": "\(report.vanished.count)",
            ])
        }
        onReport(report)
        return report
    }

    /// Waits `interval`, scrubs, and again, until the task is cancelled or the store is closed. Errors
    /// other than a closed store are logged and the next step tries again.
    public func run() async {
        while !Task.isCancelled {
            do {
                try await clock.sleep(interval)
            } catch {
                return
            }
            do throws(ReplicationError) {
                try await step()
            } catch .closed {
                return
            } catch {
                logger.debug("scrub step failed", metadata: ["replication.error": "\(error)"])
            }
        }
    }
}

import Synchronization

/// Counts and times every fsync and fdatasync a `DiskStorage` makes, so tests can check the group-commit
/// promise (one sync per batch) and a node can export sync latency.
final class SyncMeter: Sendable {
    private let syncs = Atomic<Int>(0)
    private let onSync: (@Sendable (Duration) -> Void)?

    /// `onSync` receives the duration of each sync, on the thread that made it.
    init(onSync: (@Sendable (Duration) -> Void)? = nil) {
        self.onSync = onSync
    }

    /// Syncs made so far.
    var count: Int { syncs.load(ordering: .relaxed) }

    /// Runs one sync call, counting and timing it.
    func measure<Value>(_ sync: () -> Value) -> Value {
        let clock = ContinuousClock()
        let start = clock.now
        let result = sync()
        syncs.add(1, ordering: .relaxed)
        onSync?(clock.now - start)
        return result
    }
}

import Synchronization

/// The uploads in flight on this member (a file or object being written, its chunks not yet referenced
/// by any commit), so that GC can spare every chunk used since the oldest of them began.
///
/// Register when an upload starts, unregister when it ends however it ends (the token's `finish`);
/// only start times are kept, never chunk ids, so the cost is the same for a byte or a terabyte.
public final class UploadRegistry: Sendable {
    private struct State {
        var next: UInt64 = 0
        var started: [UInt64: UInt64] = [:]
    }

    private let state = Mutex(State())
    private let clock: @Sendable () -> UInt64

    /// A registry on `clock` (monotonic nanoseconds).
    public init(clock: @escaping @Sendable () -> UInt64 = ChunkStore.monotonicNanos) {
        self.clock = clock
    }

    /// One upload in flight.
    public struct Token: Sendable {
        let id: UInt64
        let registry: UploadRegistry

        /// The upload ended (stored and recorded, failed, or abandoned).
        public func finish() {
            registry.state.withLock { _ = $0.started.removeValue(forKey: id) }
        }
    }

    /// Records an upload starting now.
    public func begin() -> Token {
        let now = clock()
        let id = state.withLock { state -> UInt64 in
            state.next += 1
            state.started[state.next] = now
            return state.next
        }
        return Token(id: id, registry: self)
    }

    /// How long the oldest upload in flight has been running (0 when none), and how many are in flight.
    public func oldest() -> (ageNanos: UInt64, count: Int) {
        let now = clock()
        return state.withLock { state in
            guard let first = state.started.values.min() else { return (0, 0) }
            return (now >= first ? now - first : 0, state.started.count)
        }
    }
}

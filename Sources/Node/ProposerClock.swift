#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Where a proposer gets the times it puts into commands (`createdAtNanos`, `startedAtNanos`, ...):
/// state machines must not read clocks themselves, so the proposing node does (DESIGN.md).
protocol ProposerClock: Sendable {
    /// Nanoseconds since the Unix epoch (UTC).
    func nowNanos() -> UInt64
}

/// The system's wall clock, never going backwards within one process: a step back of the clock (NTP)
/// would otherwise make a later commit look older than its parent.
final class WallClock: ProposerClock {
    private let last = Mutex<UInt64>(0)

    init() {}

    func nowNanos() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let reading = UInt64(max(0, now.tv_sec)) * 1_000_000_000 + UInt64(max(0, now.tv_nsec))
        return last.withLock { last in
            last = max(last + 1, reading)
            return last
        }
    }
}

/// A clock that returns what it is set to, for tests.
final class ManualClock: ProposerClock {
    private let value: Mutex<UInt64>

    init(nanos: UInt64) {
        value = Mutex(nanos)
    }

    func nowNanos() -> UInt64 { value.withLock { $0 } }

    func advance(byNanos nanos: UInt64) {
        value.withLock { $0 += nanos }
    }
}

/// Time for the drivers that pace themselves (repair's bandwidth limit, scrub's interval): a monotonic
/// reading and a sleep, injected so tests run on virtual time instead of waiting (STYLE.md: time is
/// injected).
public struct PacingClock: Sendable {
    /// Time since an arbitrary fixed origin; never decreases.
    public var now: @Sendable () -> Duration
    /// Suspends the caller for the given time; throws `CancellationError` when its task is cancelled.
    public var sleep: @Sendable (Duration) async throws -> Void

    public init(now: @escaping @Sendable () -> Duration, sleep: @escaping @Sendable (Duration) async throws -> Void) {
        self.now = now
        self.sleep = sleep
    }

    /// Real time: `ContinuousClock`.
    public static var continuous: PacingClock {
        let clock = ContinuousClock()
        let origin = clock.now
        return PacingClock(now: { origin.duration(to: clock.now) }, sleep: { try await clock.sleep(for: $0) })
    }
}

extension Duration {
    /// The duration in seconds, as a floating-point number (for rates, never for anything stored).
    var secondsDouble: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

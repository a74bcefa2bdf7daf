/// A token bucket: lets through `ratePerSecond` units a second on average, with bursts up to `burst`.
/// A value with no clock of its own: the caller passes the time in (STYLE.md, cores are I/O-free).
///
/// `take` never refuses: it charges the amount, letting the balance go negative, and answers how long
/// the caller must wait for the balance to be back at zero. So an amount larger than the burst (one big
/// chunk) still goes through, and concurrent callers that each wait their answer are paced in turn.
public struct TokenBucket: Sendable, Equatable {
    /// Units added per second.
    public let ratePerSecond: Int
    /// The most units saved up while idle.
    public let burst: Int
    /// Units available; negative when callers are waiting off a debt.
    private var balance: Double
    /// When `balance` was last brought up to date.
    private var updated: Duration

    /// A full bucket at time `now`. `ratePerSecond` MUST be positive and `burst` not negative.
    public init(ratePerSecond: Int, burst: Int, now: Duration) {
        precondition(ratePerSecond > 0, "rate \(ratePerSecond) must be positive")
        precondition(burst >= 0, "burst \(burst) must not be negative")
        self.ratePerSecond = ratePerSecond
        self.burst = burst
        balance = Double(burst)
        updated = now
    }

    /// Charges `amount` units at time `now`; answers how long to wait before using them (zero when the
    /// bucket had them).
    public mutating func take(_ amount: Int, now: Duration) -> Duration {
        let elapsed = max(0, (now - updated).secondsDouble)
        updated = max(updated, now)
        balance = min(Double(burst), balance + elapsed * Double(ratePerSecond))
        balance -= Double(max(0, amount))
        guard balance < 0 else { return .zero }
        return .seconds(-balance / Double(ratePerSecond))
    }
}

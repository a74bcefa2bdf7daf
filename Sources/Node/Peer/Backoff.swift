/// Exponential backoff between reconnection attempts: `initial`, then doubling up to `max`.
///
/// Short at first because a peer that restarts is usually back within a second and Raft wants it
/// soon; capped low (the default 1 s) because one idle reconnect per second per peer costs nothing.
struct Backoff: Sendable, Equatable {
    let initial: Duration
    let max: Duration
    private(set) var current: Duration

    init(initial: Duration, max: Duration) {
        precondition(initial > .zero && max >= initial, "backoff \(initial)...\(max)")
        self.initial = initial
        self.max = max
        current = initial
    }

    /// The delay to wait now; the next one is twice as long, up to `max`.
    mutating func next() -> Duration {
        defer { current = Swift.min(current * 2, max) }
        return current
    }

    /// Back to `initial`, after a success.
    mutating func reset() {
        current = initial
    }
}

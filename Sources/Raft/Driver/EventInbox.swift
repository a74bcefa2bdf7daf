import Synchronization

/// The run loop's queue of events: any thread posts, the loop takes everything queued at once.
///
/// Taking all queued events in one go is what makes group commit work: proposals that arrive while the
/// loop waits for an fsync are all handed to the core before the next `ready()`, so they share one Ready
/// and one fsync. A plain `AsyncStream<NodeEvent>` cannot be drained without awaiting each element, so the
/// events sit in a locked array and an `AsyncStream<Void>` (keeping at most one element) only wakes the
/// loop.
///
/// Bounded: past `maxEvents` queued events new ones are refused (requests fail, messages are dropped:
/// the network may drop them anyway). Ticks are not queued: a pending tick is a flag, so a stalled loop
/// sees one tick, not a burst that would fire its election timer at once (as Go's ticker does for etcd).
final class EventInbox: Sendable {
    struct State {
        var events: [NodeEvent] = []
        var tick = false
        var closed = false
        /// While set, requests (proposals, reads, membership changes, transfers) are refused with it.
        var refusal: RaftError?
    }

    static let maxEvents = 100_000

    private let state = Mutex(State())
    let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    init() {
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Queues `event`; returns why not (and queues nothing) when the inbox is closed or full.
    @discardableResult
    func post(_ event: NodeEvent) -> RaftError? {
        let refusal: RaftError? = state.withLock { state in
            if state.closed { return .stopped }
            if let refusal = state.refusal, event.isRequest { return refusal }
            guard state.events.count < Self.maxEvents else {
                return .proposalDropped("the node's event queue holds \(Self.maxEvents) events; it is overloaded")
            }
            state.events.append(event)
            return nil
        }
        if refusal == nil { wake.yield() }
        return refusal
    }

    /// Marks a tick due; returns false once the inbox is closed (the timer then ends).
    @discardableResult
    func postTick() -> Bool {
        let accepted = state.withLock { state in
            guard !state.closed else { return false }
            state.tick = true
            return true
        }
        if accepted { wake.yield() }
        return accepted
    }

    /// Everything queued, oldest first, and whether a tick is due.
    func take() -> (events: [NodeEvent], tick: Bool) {
        state.withLock { state in
            defer {
                state.events = []
                state.tick = false
            }
            return (state.events, state.tick)
        }
    }

    /// Refuses requests with `refusal` from now on (nil: accepts them again), and takes the requests
    /// already queued out of the queue, for the caller to fail; other events stay queued in order.
    func refuseRequests(_ refusal: RaftError?) -> [NodeEvent] {
        state.withLock { state in
            state.refusal = refusal
            guard refusal != nil else { return [] }
            let requests = state.events.filter(\.isRequest)
            state.events.removeAll(where: \.isRequest)
            return requests
        }
    }

    /// Whether a `.stop` is queued: for a loop that waits for something else (a full disk) and must still
    /// notice that it is asked to stop.
    var stopQueued: Bool {
        state.withLock { state in
            state.events.contains { if case .stop = $0 { true } else { false } }
        }
    }

    /// Refuses further events and returns those still queued (their requests must be failed).
    func close() -> [NodeEvent] {
        let left = state.withLock { state in
            state.closed = true
            defer { state.events = [] }
            return state.events
        }
        wake.finish()
        return left
    }
}

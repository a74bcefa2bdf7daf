import Raft
import Synchronization

/// The bounded queue of messages for one peer's stream.
///
/// It accepts messages only while a stream to the peer is open: while the peer is down there is no
/// point in queueing (Raft resends what matters on its next heartbeat or probe) and the sender is told
/// at once, so the leader stops pipelining to a dead follower. When full, further messages are dropped
/// the same way: a slow peer never makes memory grow.
///
/// One consumer (the stream's producer) takes everything queued at once, which batches the messages of
/// many `send` calls into one request when the peer is behind.
final class PeerOutbox: Sendable {
    /// Bounds on what waits.
    struct Limits: Sendable {
        var messagesMax = 4096
        var bytesMax = 64 << 20
    }

    private struct State {
        var isOpen = false
        var messages: [Message] = []
        var bytes = 0
        var waiter: CheckedContinuation<[Message]?, Never>?
    }

    let limits: Limits
    private let state = Mutex(State())

    init(limits: Limits) {
        self.limits = limits
    }

    /// True while a stream is open and messages are accepted.
    var isOpen: Bool { state.withLock { $0.isOpen } }

    /// Queues as many of `messages`, in order, as fit; returns how many were dropped (all of them while
    /// closed).
    func offer(_ messages: [Message]) -> Int {
        let (waiter, batch, dropped) = state.withLock { state -> (CheckedContinuation<[Message]?, Never>?, [Message], Int) in
            guard state.isOpen else { return (nil, [], messages.count) }
            var accepted = 0
            for message in messages {
                let size = message.byteCount
                guard state.messages.count < limits.messagesMax, state.bytes + size <= limits.bytesMax else { break }
                state.messages.append(message)
                state.bytes += size
                accepted += 1
            }
            guard let waiter = state.waiter, !state.messages.isEmpty else { return (nil, [], messages.count - accepted) }
            state.waiter = nil
            return (waiter, Self.takeAll(&state), messages.count - accepted)
        }
        waiter?.resume(returning: batch)
        return dropped
    }

    /// Everything queued, waiting until something is; nil once closed or when the task is cancelled
    /// (which closes the outbox: the stream that consumes it is going away).
    func next() async -> [Message]? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<[Message]?, Never>) in
                let ready = state.withLock { state -> [Message]?? in
                    guard state.isOpen else { return .some(nil) }
                    if !state.messages.isEmpty { return .some(Self.takeAll(&state)) }
                    precondition(state.waiter == nil, "PeerOutbox has one consumer")
                    state.waiter = continuation
                    return .none
                }
                if case .some(let batch) = ready { continuation.resume(returning: batch) }
            }
        } onCancel: {
            close()
        }
    }

    /// Starts accepting messages (a stream is open).
    func open() {
        state.withLock { $0.isOpen = true }
    }

    /// Stops accepting, drops what is queued and wakes the consumer with nil; returns how many were dropped.
    @discardableResult
    func close() -> Int {
        let (waiter, dropped) = state.withLock { state -> (CheckedContinuation<[Message]?, Never>?, Int) in
            let dropped = state.messages.count
            state.isOpen = false
            state.messages = []
            state.bytes = 0
            defer { state.waiter = nil }
            return (state.waiter, dropped)
        }
        waiter?.resume(returning: nil)
        return dropped
    }

    private static func takeAll(_ state: inout State) -> [Message] {
        defer {
            state.messages = []
            state.bytes = 0
        }
        return state.messages
    }
}

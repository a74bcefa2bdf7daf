/// What a leader knows about one follower's log, and how fast it may send to it (etcd's Progress).
///
/// - `probe`: the follower's position is unknown; one append at a time until it answers.
/// - `replicate`: the follower keeps up; appends are pipelined, bounded by `inflight`.
/// - `snapshot`: a snapshot is on its way; nothing else is sent until it is acknowledged or fails.
struct Progress: Sendable, Equatable {
    enum State: String, Sendable, Equatable {
        case probe, replicate, snapshot
    }

    /// Highest index known to match the leader's log.
    var match: UInt64 = 0
    /// Next index to send.
    var next: UInt64
    var state: State = .probe
    /// In `snapshot` state: the snapshot's index.
    var pendingSnapshot: UInt64 = 0
    /// In `probe` state: an append is out and unanswered.
    var probeSent = false
    /// Heard from since the last check-quorum round.
    var recentActive = false
    /// In `snapshot` state: ticks since the snapshot was sent.
    var snapshotElapsedTicks = 0
    var inflight: Inflight

    init(next: UInt64, maxMessages: Int, maxBytes: Int) {
        self.next = next
        inflight = Inflight(maxMessages: maxMessages, maxBytes: maxBytes)
    }

    /// True when no more appends may be sent now.
    var isPaused: Bool {
        switch state {
        case .probe: return probeSent
        case .replicate: return inflight.isFull
        case .snapshot: return true
        }
    }

    mutating func becomeProbe() {
        // After a snapshot, resume right after it; otherwise after what is known to match.
        next = state == .snapshot ? max(match + 1, pendingSnapshot + 1) : match + 1
        state = .probe
        pendingSnapshot = 0
        probeSent = false
        inflight.reset()
    }

    mutating func becomeReplicate() {
        state = .replicate
        next = match + 1
        pendingSnapshot = 0
        probeSent = false
        inflight.reset()
    }

    mutating func becomeSnapshot(_ index: UInt64) {
        state = .snapshot
        pendingSnapshot = index
        snapshotElapsedTicks = 0
        probeSent = false
        inflight.reset()
    }

    /// Records that the follower has `index`. Returns whether `match` moved.
    mutating func maybeUpdate(_ index: UInt64) -> Bool {
        var updated = false
        if match < index {
            match = index
            updated = true
            probeSent = false
        }
        next = max(next, index + 1)
        return updated
    }

    /// Records that `index` was sent (to be acknowledged later).
    mutating func sentEntries(lastIndex: UInt64, bytes: Int) {
        switch state {
        case .replicate:
            next = lastIndex + 1
            inflight.add(index: lastIndex, bytes: bytes)
        case .probe:
            probeSent = true
        case .snapshot:
            preconditionFailure("sending entries in snapshot state")
        }
    }

    /// Handles a rejected append whose previous index was `rejected`; `hint` is the highest index that
    /// may match. Returns false for a stale rejection (an answer to an older message).
    mutating func maybeDecrease(rejected: UInt64, hint: UInt64) -> Bool {
        if state == .replicate {
            guard rejected > match else { return false }
            next = match + 1
            return true
        }
        guard next - 1 == rejected else { return false }
        next = max(min(rejected, hint + 1), match + 1)
        probeSent = false
        return true
    }
}

/// The appends in flight to one follower, as a queue of (last index, bytes), bounded in count and bytes.
struct Inflight: Sendable, Equatable {
    let maxMessages: Int
    let maxBytes: Int
    private var queue: [(index: UInt64, bytes: Int)] = []
    private var head = 0
    private(set) var bytes = 0

    init(maxMessages: Int, maxBytes: Int) {
        precondition(maxMessages > 0, "maxInflightMessages must be positive")
        self.maxMessages = maxMessages
        self.maxBytes = maxBytes
    }

    static func == (lhs: Inflight, rhs: Inflight) -> Bool {
        lhs.count == rhs.count && lhs.bytes == rhs.bytes
    }

    var count: Int { queue.count - head }

    /// The last index of the oldest message in flight (0 when none).
    var oldestIndex: UInt64 { head < queue.count ? queue[head].index : 0 }

    var isFull: Bool {
        count >= maxMessages || (maxBytes > 0 && bytes >= maxBytes)
    }

    mutating func add(index: UInt64, bytes: Int) {
        precondition(count < maxMessages, "inflight overflow: \(count) of \(maxMessages)")
        queue.append((index, bytes))
        self.bytes += bytes
    }

    /// Frees every message whose last index is <= `index` (acknowledged).
    mutating func free(through index: UInt64) {
        while head < queue.count, queue[head].index <= index {
            bytes -= queue[head].bytes
            head += 1
        }
        if head > 64 && head * 2 > queue.count {
            queue.removeFirst(head)
            head = 0
        }
    }

    mutating func reset() {
        queue.removeAll(keepingCapacity: true)
        head = 0
        bytes = 0
    }
}

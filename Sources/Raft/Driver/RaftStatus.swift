import Synchronization

/// A point-in-time view of a `RaftNode`, published by its run loop after every step.
public struct RaftStatus: Sendable, Equatable, CustomStringConvertible {
    /// The node this describes.
    public var id: NodeID
    /// The node's current term.
    public var term: UInt64 = 0
    /// The role the node plays in `term`.
    public var role: Role = .follower
    /// The leader this node knows of, or `noNode`.
    public var leader: NodeID = noNode
    /// The highest log index known committed.
    public var commitIndex: UInt64 = 0
    /// The highest log index whose entry the state machine (and session table) has applied.
    public var appliedIndex: UInt64 = 0
    /// The index of the last entry in the log.
    public var lastIndex: UInt64 = 0
    /// The index of the latest snapshot this node holds (0 when none).
    public var snapshotIndex: UInt64 = 0
    /// The membership in force (the latest in the log, committed or not).
    public var configuration = Configuration()
    /// On a leader: the highest log index known to be stored on each member (itself included); empty on
    /// other roles. What decides whether a learner has caught up and may become a voter.
    public var matchIndex: [NodeID: UInt64] = [:]
    /// False before `start()` and after the node stopped (by `stop()` or a fatal storage error).
    public var isRunning = false

    /// The status of a node that has not started.
    public init(id: NodeID) {
        self.id = id
    }

    /// One line for logs and test failures.
    public var description: String {
        "node \(id) term \(term) \(role.rawValue) leader \(leader) commit \(commitIndex) applied \(appliedIndex) "
            + "last \(lastIndex) snapshot \(snapshotIndex) voters \(configuration.voters.sorted())"
            + (isRunning ? "" : " (stopped)")
    }
}

/// Where a run loop publishes its `RaftStatus` for readers on other threads.
final class StatusCell: Sendable {
    private let status: Mutex<RaftStatus>

    init(_ initial: RaftStatus) {
        status = Mutex(initial)
    }

    var value: RaftStatus {
        get { status.withLock { $0 } }
        set { status.withLock { $0 = newValue } }
    }
}

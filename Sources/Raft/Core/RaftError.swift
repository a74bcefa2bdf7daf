/// Expected failures of the Raft module, each with a sentence a user can act on.
public enum RaftError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No leader is known, so the proposal or read cannot be forwarded. Retry after an election.
    case noLeader
    /// The proposal was not accepted; the reason says why (transfer in progress, uncommitted cap, …).
    case proposalDropped(String)
    /// A configuration change is already pending; only one may be uncommitted at a time.
    case configChangePending
    /// The configuration change does not apply to the current membership.
    case invalidConfigChange(String)
    /// The message cannot be stepped: its sender, term or indexes are out of range.
    case invalidMessage(String)
    /// The requested log index was compacted into a snapshot.
    case compacted(UInt64)
    /// The requested index is beyond the end of the log.
    case unavailable(UInt64)
    /// The node is shutting down or stopped.
    case stopped
    /// The request did not complete in time; its outcome is unknown.
    case timeout
    /// Stored state is unreadable; the message names the file and offset.
    case corruptStorage(String)
    /// An I/O error from storage.
    case storage(String)
    /// Storage is full (ENOSPC, EDQUOT) and nothing was written: the same write may be retried once
    /// space is freed.
    case outOfSpace(String)

    public var description: String {
        switch self {
        case .noLeader: return "no leader is known; retry once an election has completed"
        case .proposalDropped(let why): return "proposal dropped: \(why)"
        case .configChangePending: return "a membership change is already in progress; wait for it to commit"
        case .invalidConfigChange(let why): return "invalid membership change: \(why)"
        case .invalidMessage(let why): return "invalid raft message: \(why)"
        case .compacted(let index): return "log index \(index) was compacted into a snapshot"
        case .unavailable(let index): return "log index \(index) is beyond the end of the log"
        case .stopped: return "the raft node is stopped"
        case .timeout: return "the request timed out; its outcome is unknown"
        case .corruptStorage(let why): return "corrupt raft storage: \(why)"
        case .storage(let why): return "raft storage error: \(why)"
        case .outOfSpace(let why): return "raft storage is full: \(why); free space and the node goes on"
        }
    }
}

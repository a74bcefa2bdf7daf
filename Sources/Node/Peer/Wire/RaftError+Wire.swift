import PachAPI
import Raft

// RaftError ↔ RaftFailure, for Forward and ReadIndex answers: the forwarding node gets back the very
// error the leader's node raised, so its caller retries (or not) exactly as if it had called locally.

extension Raftpb_RaftFailure {
    init(_ error: RaftError, leaderHint: NodeID) {
        self.init()
        message = error.description
        self.leaderHint = leaderHint
        switch error {
        case .noLeader: code = .noLeader
        case .proposalDropped(let why): code = .proposalDropped; message = why
        case .configChangePending: code = .configChangePending
        case .invalidConfigChange(let why): code = .invalidConfigChange; message = why
        case .invalidMessage(let why): code = .invalidMessage; message = why
        case .compacted(let index): code = .compacted; self.index = index
        case .unavailable(let index): code = .unavailable; self.index = index
        case .stopped: code = .stopped
        case .timeout: code = .timeout
        case .corruptStorage(let why): code = .corruptStorage; message = why
        case .storage(let why): code = .storage; message = why
        case .outOfSpace: code = .storage  // the description says it is full
        }
    }
}

extension RaftError {
    /// The error `failure` describes. NOT_LEADER becomes `proposalDropped` (leadership moved while the
    /// call was in flight: the caller's retry finds the new leader); unknown codes too.
    init(_ failure: Raftpb_RaftFailure) {
        switch failure.code {
        case .noLeader: self = .noLeader
        case .proposalDropped: self = .proposalDropped(failure.message)
        case .configChangePending: self = .configChangePending
        case .invalidConfigChange: self = .invalidConfigChange(failure.message)
        case .invalidMessage: self = .invalidMessage(failure.message)
        case .compacted: self = .compacted(failure.index)
        case .unavailable: self = .unavailable(failure.index)
        case .stopped: self = .stopped
        case .timeout: self = .timeout
        case .corruptStorage: self = .corruptStorage(failure.message)
        case .storage: self = .storage(failure.message)
        case .notLeader: self = .proposalDropped("node is not the leader (leader hint \(failure.leaderHint))")
        case .unspecified, .UNRECOGNIZED: self = .proposalDropped("unknown failure: \(failure.message)")
        }
    }
}

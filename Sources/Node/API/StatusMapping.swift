import GRPCCore
import PFS
import Raft

/// The one place where module errors become gRPC statuses, each with a message the user can act on.
///
/// Every switch is exhaustive on purpose: a new error case must choose its status here rather than fall
/// into a default that hides it.
enum StatusMapping {
    /// The status for a refusal of PFS (validation or the state machine's answer).
    static func rpcError(for error: PFSError) -> RPCError {
        RPCError(code: code(for: error), message: error.description)
    }

    /// The status for a failure of the Raft layer. Availability problems say to retry, because the same
    /// call succeeds once a leader is reachable again (with the same session, it applies once).
    static func rpcError(for error: RaftError) -> RPCError {
        switch error {
        case .noLeader, .proposalDropped, .stopped, .timeout:
            return RPCError(code: .unavailable, message: unavailableMessage + " (\(error.description))")
        case .configChangePending, .invalidConfigChange, .invalidMessage, .compacted, .unavailable,
             .corruptStorage, .storage:
            return RPCError(code: .internalError, message: "internal error in the replication layer: \(error)")
        case .outOfSpace:
            return RPCError(code: .resourceExhausted, message: error.description)
        }
    }

    /// The status for a membership operation that did not happen.
    static func rpcError(for error: MembershipError) -> RPCError {
        switch error {
        case .invalid(let why): return RPCError(code: .invalidArgument, message: why)
        case .notMember: return RPCError(code: .notFound, message: error.description)
        case .raft(.invalidConfigChange(let why)):
            return RPCError(code: .failedPrecondition, message: "membership change refused: \(why)")
        case .raft(.configChangePending):
            return RPCError(code: .failedPrecondition,
                            message: "another membership change is in progress; retry in a moment")
        case .raft(let raftError): return rpcError(for: raftError)
        }
    }

    /// The status for a failure while reading or building file trees: a PFS refusal as usual, a damaged
    /// stored object as DATA_LOSS, a missing one as NOT_FOUND; chunk-store failures are already statuses.
    static func rpcError(forFiles error: any Error) -> RPCError {
        switch error {
        case let rpc as RPCError: return rpc
        case let pfs as PFSError:
            if case .malformed = pfs {
                return RPCError(code: .dataLoss, message: "a stored tree or file object is damaged: \(pfs)")
            }
            return rpcError(for: pfs)
        case let missing as TreeStoreError: return RPCError(code: .notFound, message: missing.description)
        default: return RPCError(code: .internalError, message: "reading files: \(error)")
        }
    }

    /// What a user reads when the cluster cannot take the call now.
    static let unavailableMessage =
        "the cluster has no reachable leader or did not answer in time; retry (check `pachctl cluster status`)"

    /// The gRPC code for each PFS error (see the conventions in Proto/pfs.proto).
    static func code(for error: PFSError) -> RPCError.Code {
        switch error {
        case .invalidName, .invalidRef, .invalidArgument, .malformed, .provenanceCycle:
            return .invalidArgument
        case .repoExists, .commitExists, .alreadyExists:
            return .alreadyExists
        case .repoNotFound, .branchNotFound, .branchHasNoHead, .commitNotFound, .ancestorNotFound,
             .commitNotInRepo, .memberNotFound, .fileNotFound, .notFound:
            return .notFound
        case .stagedConflict, .branchHeadMoved, .commitChanged:
            // The node retries these itself; one that still reaches a client means it should retry.
            return .aborted
        case .limitExceeded:
            return .resourceExhausted
        case .repoHasDependents, .branchHasOpenCommit, .branchHasDependents, .commitFinished,
             .commitNotFinished, .commitHasChildren, .commitHasSubvenance, .failedPrecondition:
            return .failedPrecondition
        case .unsupportedVersion:
            // The node cannot interpret the replicated data: a server problem, not the caller's.
            return .internalError
        }
    }

    /// The answer bytes did not decode: this node and the one that applied the command disagree on the
    /// format, which the caller cannot fix.
    static func undecodableAnswer(_ error: PFSError) -> RPCError {
        RPCError(code: .internalError, message: "internal error: the state machine's answer did not decode: \(error)")
    }

    /// The state machine answered with a kind of result the RPC does not expect.
    static func unexpectedAnswer(_ result: MetadataResult, for rpc: String) -> RPCError {
        RPCError(code: .internalError, message: "internal error: \(rpc) got an unexpected answer \(result)")
    }
}

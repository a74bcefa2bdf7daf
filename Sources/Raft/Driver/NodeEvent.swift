/// Where a request's answer goes: the caller suspended in `RaftNode` waits on it.
typealias Reply<T: Sendable> = CheckedContinuation<Result<T, RaftError>, Never>

/// Everything that wakes a node's run loop. The loop is the only owner of the `RaftCore`; every other
/// task, thread and callback talks to it through these.
enum NodeEvent: Sendable {
    /// From the transport: a message, or a delivery problem.
    case transport(TransportEvent)
    /// `RaftNode.propose`.
    case propose(ProposeRequest)
    /// `RaftNode.proposeConfigChange`.
    case configChange(ConfigChange, Reply<UInt64>)
    /// `RaftNode.linearizableRead`.
    case read(Reply<UInt64>)
    /// `RaftNode.transferLeadership`.
    case transfer(NodeID, Reply<Void>)
    /// The apply thread finished a batch.
    case applied(ApplyReport)
    /// The apply thread took a snapshot of the state machine (or failed to).
    case snapshotTaken(Result<Snapshot, RaftError>)
    /// `RaftNode.stop`: resumed once the loop has finished.
    case stop(CheckedContinuation<Void, Never>)

    /// A caller's request, which waits for an answer (not a message, tick report or stop).
    var isRequest: Bool {
        switch self {
        case .propose, .configChange, .read, .transfer: return true
        case .stop, .transport, .applied, .snapshotTaken: return false
        }
    }

    /// Fails a request that will never reach the loop.
    func fail(_ error: RaftError) {
        switch self {
        case .propose(let request): request.reply.resume(returning: .failure(error))
        case .configChange(_, let reply): reply.resume(returning: .failure(error))
        case .read(let reply): reply.resume(returning: .failure(error))
        case .transfer(_, let reply): reply.resume(returning: .failure(error))
        case .stop(let continuation): continuation.resume()
        case .transport, .applied, .snapshotTaken: break
        }
    }
}

/// A proposal on its way to the run loop, which wraps it in a `ProposalEnvelope`.
struct ProposeRequest: Sendable {
    var data: [UInt8]
    var client: ClientID
    var sequence: UInt64
    var reply: Reply<[UInt8]>
}

/// What the apply thread reports after a batch.
struct ApplyReport: Sendable {
    /// The highest index applied (state machine and session table), after this batch.
    var appliedIndex: UInt64
    /// Set when the batch began by restoring a snapshot from the leader.
    var restoredSnapshotIndex: UInt64?
    /// Answers for proposals that originated on this node, by request id.
    var completions: [(requestID: UInt64, result: Result<[UInt8], RaftError>)] = []
    /// Membership-change entries applied in this batch, in order.
    var configEntries: [Entry] = []
    /// Set when the state machine failed: the node must stop.
    var failure: RaftError?
}

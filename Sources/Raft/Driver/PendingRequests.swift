/// The requests a node's callers wait on, each with a deadline, and the rules that finish them.
///
/// Owned by the run loop. Every request ends exactly once: answered, failed by a leader change, timed
/// out, or failed at stop. Nothing here waits or does I/O; resuming a continuation only schedules its
/// caller.
struct PendingRequests {
    typealias Deadline = ContinuousClock.Instant

    struct Proposal {
        var reply: Reply<[UInt8]>
        var deadline: Deadline
        /// The leader the proposal went to; if another node leads before it is applied, it may be lost.
        var leader: NodeID
    }

    struct ConfigChangeWait {
        /// The log index on the leader; nil when forwarded (then matched by content).
        var index: UInt64?
        var change: ConfigChange
        var reply: Reply<UInt64>
        var deadline: Deadline
        var leader: NodeID
    }

    /// Reads that share one ReadIndex round (one context).
    struct ReadBatch {
        var context: [UInt8]
        /// Set once the leader confirmed the read point.
        var index: UInt64?
        var readers: [(reply: Reply<UInt64>, deadline: Deadline)]
    }

    struct TransferWait {
        var target: NodeID
        var reply: Reply<Void>
        var deadline: Deadline
    }

    private(set) var proposals: [UInt64: Proposal] = [:]
    private(set) var configChanges: [ConfigChangeWait] = []
    private(set) var reads: [ReadBatch] = []
    private(set) var transfers: [TransferWait] = []

    var count: Int {
        proposals.count + configChanges.count + transfers.count + reads.reduce(0) { $0 + $1.readers.count }
    }

    // MARK: Adding

    mutating func addProposal(_ requestID: UInt64, _ proposal: Proposal) {
        precondition(proposals[requestID] == nil, "request id \(requestID) is already pending")
        proposals[requestID] = proposal
    }

    mutating func addConfigChange(_ wait: ConfigChangeWait) {
        configChanges.append(wait)
    }

    mutating func addReads(context: [UInt8], readers: [(reply: Reply<UInt64>, deadline: Deadline)]) {
        reads.append(ReadBatch(context: context, index: nil, readers: readers))
    }

    mutating func addTransfer(_ wait: TransferWait) {
        transfers.append(wait)
    }

    // MARK: Answers

    mutating func completeProposal(_ requestID: UInt64, _ result: Result<[UInt8], RaftError>) {
        // Absent when it already timed out or was failed by a leader change: the answer has no taker.
        proposals.removeValue(forKey: requestID)?.reply.resume(returning: result)
    }

    /// A membership-change entry was applied. Finishes the wait for its index (or, for forwarded changes,
    /// the first wait for the same change).
    mutating func configChangeApplied(_ entry: Entry) {
        let change = ConfigChange(decoding: entry.data)
        let position = configChanges.firstIndex { $0.index == entry.index }
            ?? configChanges.firstIndex { $0.index == nil && $0.change == change }
        guard let position else { return }
        let wait = configChanges.remove(at: position)
        if wait.change == change {
            wait.reply.resume(returning: .success(entry.index))
        } else {
            wait.reply.resume(returning: .failure(.proposalDropped("another leader replaced the membership "
                + "change at index \(entry.index)")))
        }
    }

    /// Everything through `index` is applied: a change waiting for an index that held something else was
    /// overwritten by a newer leader.
    mutating func appliedThrough(_ index: UInt64) {
        configChanges.removeAll { wait in
            guard let waited = wait.index, waited <= index else { return false }
            wait.reply.resume(returning: .failure(.proposalDropped("another leader replaced the membership "
                + "change at index \(waited)")))
            return true
        }
    }

    /// The leader answered the ReadIndex round tagged `context`.
    mutating func readIndexArrived(context: [UInt8], index: UInt64) {
        guard let position = reads.firstIndex(where: { $0.context == context }) else { return }
        if reads[position].index == nil { reads[position].index = index }
    }

    /// Serves every read whose point the state machine has reached.
    mutating func serveReads(appliedIndex: UInt64) {
        reads.removeAll { batch in
            guard let index = batch.index, index <= appliedIndex else { return false }
            for reader in batch.readers { reader.reply.resume(returning: .success(index)) }
            return true
        }
    }

    /// Contexts of reads still waiting for the leader's answer (to ask a new leader again).
    var unansweredReadContexts: [[UInt8]] {
        reads.filter { $0.index == nil }.map(\.context)
    }

    /// Leadership changed to `leader` (maybe `noNode`): requests sent through another leader may be lost,
    /// so they fail now instead of at their deadline; transfers to `leader` are done.
    mutating func leaderChanged(to leader: NodeID) {
        let change = leader == noNode ? "the leader was lost" : "leadership moved to node \(leader)"
        let lost = RaftError.proposalDropped("\(change) while the request was pending; its outcome is "
            + "unknown: retry it")
        for (id, proposal) in proposals where proposal.leader != leader {
            proposals[id] = nil
            proposal.reply.resume(returning: .failure(lost))
        }
        configChanges.removeAll { wait in
            guard wait.leader != leader else { return false }
            wait.reply.resume(returning: .failure(lost))
            return true
        }
        transfers.removeAll { wait in
            guard wait.target == leader else { return false }
            wait.reply.resume(returning: .success(()))
            return true
        }
    }

    // MARK: Failing

    /// Fails every request whose deadline has passed with `timeout`.
    mutating func expire(now: Deadline) {
        for (id, proposal) in proposals where proposal.deadline <= now {
            proposals[id] = nil
            proposal.reply.resume(returning: .failure(.timeout))
        }
        configChanges.removeAll { wait in
            guard wait.deadline <= now else { return false }
            wait.reply.resume(returning: .failure(.timeout))
            return true
        }
        for position in reads.indices {
            reads[position].readers.removeAll { reader in
                guard reader.deadline <= now else { return false }
                reader.reply.resume(returning: .failure(.timeout))
                return true
            }
        }
        reads.removeAll { $0.readers.isEmpty }
        transfers.removeAll { wait in
            guard wait.deadline <= now else { return false }
            wait.reply.resume(returning: .failure(.timeout))
            return true
        }
    }

    /// Fails everything (the node stops).
    mutating func failAll(_ error: RaftError) {
        for proposal in proposals.values { proposal.reply.resume(returning: .failure(error)) }
        for wait in configChanges { wait.reply.resume(returning: .failure(error)) }
        for batch in reads {
            for reader in batch.readers { reader.reply.resume(returning: .failure(error)) }
        }
        for wait in transfers { wait.reply.resume(returning: .failure(error)) }
        proposals = [:]
        configChanges = []
        reads = []
        transfers = []
    }
}

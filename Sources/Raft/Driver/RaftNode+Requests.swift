/// The requests callers make of a running node.
extension RaftNode {
    /// Proposes `data` and returns the state machine's answer once the entry is applied on this node.
    ///
    /// Exactly-once per (`client`, `sequence`): a retry of a sequence that was already applied returns the
    /// cached answer without applying again. A client MUST use increasing sequence numbers and MUST NOT
    /// start sequence n+1 while it still needs the answer to n. `ClientID.none` disables this.
    /// Throws `noLeader` at once when no leader is known, `proposalDropped` when the leader refused it or
    /// changed while it was pending, `timeout` after `requestTimeout`, `stopped` when the node stops.
    public func propose(_ data: [UInt8], client: ClientID, sequence: UInt64) async throws(RaftError) -> [UInt8] {
        try await request { reply in
            .propose(ProposeRequest(data: data, client: client, sequence: sequence, reply: reply))
        }
    }

    /// Proposes a single-server membership change and returns the log index at which it was applied on
    /// this node. Only one change may be in flight in the group (`configChangePending` otherwise).
    public func proposeConfigChange(_ change: ConfigChange) async throws(RaftError) -> UInt64 {
        try await request { reply in .configChange(change, reply) }
    }

    /// Confirms with a quorum that the leader is still the leader (ReadIndex, Raft dissertation §6.4),
    /// then waits until this node has applied everything committed at that moment. Returns that index:
    /// a read of the local state machine now reflects every write acknowledged before the call.
    /// Concurrent reads share one round.
    public func linearizableRead() async throws(RaftError) -> UInt64 {
        try await request { reply in .read(reply) }
    }

    /// Asks the leader to hand leadership to `target` (§3.10); returns once this node sees `target` lead.
    public func transferLeadership(to target: NodeID) async throws(RaftError) {
        try await request { reply in .transfer(target, reply) }
    }

    private func request<T: Sendable>(_ make: (Reply<T>) -> NodeEvent) async throws(RaftError) -> T {
        guard isAcceptingRequests else { throw .stopped }
        let result = await withCheckedContinuation { (reply: Reply<T>) in
            if let refusal = inbox.post(make(reply)) { reply.resume(returning: .failure(refusal)) }
        }
        return try result.get()
    }
}

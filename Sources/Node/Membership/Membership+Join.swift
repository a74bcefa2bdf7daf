import Raft

/// The joining side: a node started with `--join` asks the members it knows of to admit it.
extension Membership {
    /// Asks the known peers in turn (by id) to admit this node until one does, the node finds itself in
    /// the configuration (a restart after it joined), or the task is cancelled. Logs progress every
    /// `reportEvery` rounds so that an operator sees why a node does not join.
    func joinCluster(retryAfter: Duration = .seconds(1), reportEvery: Int = 10) async {
        var round = 0
        while !Task.isCancelled {
            if raft.status.configuration.members.contains(selfID) { return }
            var reasons: [String] = []
            for peer in transport.peers.keys.sorted() {
                do {
                    let response = try await transport.join(via: peer, apiAddress: apiAddress, peerAddress: peerAddress,
                                                            timeout: .seconds(5))
                    if !response.hasFailure {
                        let outcome = response.alreadyMember ? "already a member"
                            : "admitted as learner; the leader promotes this node to voter once it has caught up"
                        logger.info("\(outcome)", metadata: ["member.via": "\(peer)", "raft.leader": "\(response.leaderID)"])
                        return
                    }
                    reasons.append("node \(peer): \(response.failure.message.isEmpty ? "\(response.failure.code)" : response.failure.message)")
                } catch {
                    reasons.append("node \(peer): \(PeerLink.describe(error))")
                }
            }
            if round % reportEvery == 0 {
                logger.warning("waiting to join the cluster", metadata: ["member.attempts": "\(round + 1)",
                                                                         "error": "\(reasons.joined(separator: "; "))"])
            }
            round += 1
            try? await Task.sleep(for: retryAfter)
        }
    }
}

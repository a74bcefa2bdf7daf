import Logging
import PachAPI
import Raft

/// The leader's part of a graceful stop: hand leadership to the voter that has the most of the log,
/// so the cluster does not sit through an election timeout (350–650 ms of unavailable writes) and the
/// new leader needs the least catching up.
enum GracefulShutdown {
    /// If this node leads, transfers leadership to the most caught-up reachable voter and waits until
    /// another node leads, at most `timeout`. Returns whether leadership moved (or was not ours).
    @discardableResult
    static func handOffLeadership(raft: RaftNode, peers: GRPCPeerTransport, logger: Logger,
                                  timeout: Duration = .seconds(2)) async -> Bool {
        let status = raft.status
        guard status.role == .leader else { return true }
        let voters = status.configuration.voters.subtracting([status.id]).sorted()
        let statuses = await peerStatuses(voters, peers: peers, timeout: .milliseconds(300))
        guard let target = mostCaughtUp(statuses) else {
            logger.warning("no reachable voter to hand leadership to; stopping as leader")
            return false
        }
        logger.info("handing leadership over before stopping", metadata: ["raft.target": "\(target)"])
        // Not awaited: the request waits up to the node's request timeout and cannot be cancelled; it
        // ends at the latest when the node stops. Polling the status bounds our wait instead.
        Task { try? await raft.transferLeadership(to: target) }
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let now = raft.status
            if now.role != .leader, now.leader != status.id { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        logger.warning("leadership transfer did not finish in time; stopping as leader",
                       metadata: ["raft.target": "\(target)"])
        return false
    }

    /// The voter with the longest log (then the most applied, then the lowest id); nil when none answered.
    static func mostCaughtUp(_ statuses: [Raftpb_StatusResponse]) -> NodeID? {
        statuses.max { a, b in
            (a.lastIndex, a.appliedIndex, b.nodeID) < (b.lastIndex, b.appliedIndex, a.nodeID)
        }?.nodeID
    }

    private static func peerStatuses(_ voters: [NodeID], peers: GRPCPeerTransport,
                                     timeout: Duration) async -> [Raftpb_StatusResponse] {
        await withTaskGroup(of: Raftpb_StatusResponse?.self) { group in
            for voter in voters {
                group.addTask { try? await peers.status(of: voter, timeout: timeout) }
            }
            var answers: [Raftpb_StatusResponse] = []
            for await answer in group { if let answer { answers.append(answer) } }
            return answers
        }
    }
}

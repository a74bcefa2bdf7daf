import PFS
import Raft

/// The periodic duties: every node registers itself; the leader promotes caught-up learners and keeps
/// the liveness verdicts current.
extension Membership {
    /// Runs the duties every `options.interval` until the task is cancelled.
    func runDuties() async {
        var leaderSince: ContinuousClock.Instant?
        while !Task.isCancelled {
            let status = raft.status
            if status.role == .leader {
                if leaderSince == nil { leaderSince = .now }
            } else {
                leaderSince = nil
            }
            if status.isRunning, status.leader != noNode {
                await maybeRegisterSelf(status)
                if let leaderSince {
                    await maybePromoteLearner(status)
                    await maybeRecordLiveness(status, leaderSince: leaderSince)
                }
            }
            try? await Task.sleep(for: options.interval)
        }
    }

    /// Records this node's addresses when the replicated state lacks them or has others. Returns whether
    /// it proposed.
    @discardableResult
    func maybeRegisterSelf(_ status: RaftStatus) async -> Bool {
        guard status.configuration.members.contains(selfID) else { return false }
        let record = metadata.listMembers().first { $0.id == selfID }
        if let record, record.apiAddress == apiAddress, record.peerAddress == peerAddress, record.isUp { return false }
        do {
            try await apply(.registerMember(id: selfID, apiAddress: apiAddress, peerAddress: peerAddress,
                                            atNanos: clock.nowNanos()))
            logger.info("registered this node's addresses", metadata: ["node.api": "\(apiAddress)",
                                                                        "node.peer": "\(peerAddress)"])
        } catch {
            logger.debug("could not register this node's addresses yet", metadata: ["error": "\(error)"])
        }
        return true
    }

    /// Promotes the first learner (by id) whose log is caught up. One change at a time, as Raft requires.
    @discardableResult
    func maybePromoteLearner(_ status: RaftStatus) async -> Bool {
        for learner in status.configuration.learners.sorted() {
            guard let match = status.matchIndex[learner],
                  match + options.promoteWithinEntries >= status.lastIndex else { continue }
            do {
                _ = try await raft.proposeConfigChange(ConfigChange(.addVoter, node: learner))
                logger.info("learner promoted to voter", metadata: ["member.node": "\(learner)",
                                                                     "raft.match": "\(match)"])
            } catch {
                logger.debug("could not promote learner yet", metadata: ["member.node": "\(learner)",
                                                                         "error": "\(error)"])
            }
            return true
        }
        return false
    }

    /// Records a verdict that changed: down after `downAfter` without a message (counted from this
    /// node's election at the earliest), up once heard from again.
    func maybeRecordLiveness(_ status: RaftStatus, leaderSince: ContinuousClock.Instant) async {
        let now = ContinuousClock.now
        for record in metadata.listMembers() where record.id != selfID {
            guard status.configuration.members.contains(record.id) else { continue }
            let heard = transport.contact(of: record.id).lastHeard
            let silentSince = max(heard ?? leaderSince, leaderSince)
            let isUp: Bool
            if record.isUp, now - silentSince > options.downAfter {
                isUp = false
            } else if !record.isUp, let heard, heard > leaderSince, now - heard < options.interval * 4 {
                isUp = true
            } else {
                continue
            }
            do {
                try await apply(.setMemberLiveness(id: record.id, isUp: isUp, atNanos: clock.nowNanos()))
                logger.notice(isUp ? "member is up again" : "member is down (silent too long)",
                              metadata: ["member.node": "\(record.id)"])
            } catch {
                logger.debug("could not record liveness", metadata: ["member.node": "\(record.id)",
                                                                     "error": "\(error)"])
            }
        }
    }
}

/// Elections: timers, pre-vote, voting, and the role transitions (Raft §5.2, dissertation §9.6, §4.2.3).
extension RaftCore {
    mutating func tickFollower() {
        electionElapsed += 1
        if electionElapsed >= randomizedElectionTimeout {
            electionElapsed = 0
            hup(transfer: false)
        }
    }

    mutating func tickLeader() {
        heartbeatElapsed += 1
        electionElapsed += 1
        expireLostSnapshots()
        if electionElapsed >= config.electionTicks {
            electionElapsed = 0
            if config.checkQuorum {
                if !hasActiveQuorum() {
                    becomeFollower(term: term, leader: noNode)
                    return
                }
                for node in progress.keys where node != id { progress[node]?.recentActive = false }
            }
            // A transfer that has not finished within an election timeout is abandoned (§3.10).
            leadTransferee = noNode
        }
        if heartbeatElapsed >= config.heartbeatTicks {
            heartbeatElapsed = 0
            broadcastHeartbeat(context: readIndexQueue.lastContext ?? [])
        }
    }

    /// A snapshot whose answer was lost would otherwise leave its follower waiting forever.
    mutating func expireLostSnapshots() {
        for node in progress.keys.sorted() where progress[node]?.state == .snapshot {
            progress[node]!.snapshotElapsedTicks += 1
            if progress[node]!.snapshotElapsedTicks >= config.snapshotTimeoutTicks {
                progress[node]!.pendingSnapshot = 0
                progress[node]!.becomeProbe()
                maybeSendAppend(to: node, sendIfEmpty: true)
            }
        }
    }

    /// Voters that answered since the last round, counting self, form a quorum.
    func hasActiveQuorum() -> Bool {
        let voters = log.configuration.voters
        let active = voters.filter { $0 == id || (progress[$0]?.recentActive ?? false) }
        return active.count >= log.configuration.quorum
    }

    /// The election timer fired (or a transfer asked us to campaign).
    mutating func hup(transfer: Bool) {
        guard role != .leader, isVoter else { return }
        if config.preVote && !transfer {
            startElection(pre: true, transfer: false)
        } else {
            startElection(pre: false, transfer: transfer)
        }
    }

    mutating func startElection(pre: Bool, transfer: Bool) {
        if pre { becomePreCandidate() } else { becomeCandidate() }
        let electionTerm = pre ? term + 1 : term
        recordVote(from: id, granted: true)
        if tallyVotes().won {
            // A single voter wins at once.
            if pre { startElection(pre: false, transfer: false) } else { becomeLeader() }
            return
        }
        for voter in log.configuration.voters.sorted() where voter != id {
            send(Message(kind: pre ? .requestPreVote : .requestVote, to: voter, term: electionTerm,
                         logTerm: log.lastTerm, index: log.lastIndex,
                         context: transfer ? campaignTransfer : []))
        }
    }

    mutating func recordVote(from node: NodeID, granted: Bool) {
        if votes[node] == nil { votes[node] = granted }
    }

    /// Counts votes from current voters only.
    func tallyVotes() -> (won: Bool, lost: Bool) {
        let voters = log.configuration.voters
        let granted = votes.filter { voters.contains($0.key) && $0.value }.count
        let rejected = votes.filter { voters.contains($0.key) && !$0.value }.count
        let quorum = log.configuration.quorum
        return (granted >= quorum, rejected > voters.count - quorum)
    }

    // MARK: Answering votes

    mutating func handleVoteRequest(_ m: Message) {
        let pre = m.kind == .requestPreVote
        // We may vote for m.from if we already did in this term, if we have not voted and know no
        // leader, or (pre-vote) for a future term that changes nothing here.
        let canVote = vote == m.from || (vote == noNode && leader == noNode) || (pre && m.term > term)
        let responseKind: MessageKind = pre ? .requestPreVoteResponse : .requestVoteResponse
        if canVote && log.isUpToDate(lastIndex: m.index, term: m.logTerm) {
            // A pre-vote answer carries the term asked for, so the asker can tell it from stale answers.
            send(Message(kind: responseKind, to: m.from, term: m.term))
            if !pre {
                electionElapsed = 0
                vote = m.from
            }
        } else {
            send(Message(kind: responseKind, to: m.from, term: term, reject: true))
        }
    }

    mutating func handleVoteResponse(_ m: Message) {
        let expected: MessageKind = role == .preCandidate ? .requestPreVoteResponse : .requestVoteResponse
        guard m.kind == expected else { return }
        recordVote(from: m.from, granted: !m.reject)
        let (won, lost) = tallyVotes()
        if won {
            if role == .preCandidate { startElection(pre: false, transfer: false) } else { becomeLeader() }
        } else if lost {
            becomeFollower(term: term, leader: noNode)
        }
    }

    // MARK: Role transitions

    mutating func reset(term newTerm: UInt64) {
        if term != newTerm {
            term = newTerm
            vote = noNode
        }
        leader = noNode
        votes = [:]
        heartbeatElapsed = 0
        resetElectionTimer()
        abortLeaderState()
    }

    /// Drops what only a leader keeps; pending reads get no answer (their requesters retry).
    mutating func abortLeaderState() {
        leadTransferee = noNode
        progress = [:]
        uncommittedBytes = 0
        _ = readIndexQueue.removeAll()
        readIndexWaiting = []
        needsBroadcast = false
    }

    mutating func becomeFollower(term newTerm: UInt64, leader newLeader: NodeID) {
        reset(term: newTerm)
        leader = newLeader
        role = .follower
    }

    mutating func becomePreCandidate() {
        precondition(role != .leader, "node \(id): leader cannot become pre-candidate")
        // Pre-vote changes neither term nor vote: only the role and the tally.
        votes = [:]
        leader = noNode
        role = .preCandidate
        resetElectionTimer()
    }

    mutating func becomeCandidate() {
        precondition(role != .leader, "node \(id): leader cannot become candidate")
        reset(term: term + 1)
        vote = id
        role = .candidate
    }

    mutating func becomeLeader() {
        precondition(role == .candidate, "node \(id): only a candidate becomes leader, not a \(role)")
        reset(term: term)
        leader = id
        role = .leader
        for member in log.configuration.members { addProgress(member) }
        progress[id]?.becomeReplicate()
        progress[id]?.match = log.stableIndex
        progress[id]?.recentActive = true
        uncommittedBytes = 0
        // The no-op lets the leader commit entries of earlier terms (§5.4.2) and learn its commit index.
        log.append([Entry(term: term, index: log.lastIndex + 1, kind: .noop)])
        broadcastAppend(sendIfEmpty: true)
    }

    mutating func addProgress(_ node: NodeID) {
        guard progress[node] == nil else { return }
        var pr = Progress(next: log.lastIndex + 1, maxMessages: config.maxInflightMessages,
                          maxBytes: config.maxInflightBytes)
        pr.recentActive = true
        progress[node] = pr
    }

    /// Keeps the leader's progress map in step with the configuration in its log.
    mutating func syncProgressWithConfiguration() {
        guard role == .leader else { return }
        let members = log.configuration.members
        for node in members { addProgress(node) }
        for node in progress.keys where !members.contains(node) && node != id {
            progress[node] = nil
        }
        if leadTransferee != noNode && !log.configuration.voters.contains(leadTransferee) {
            leadTransferee = noNode
        }
    }
}

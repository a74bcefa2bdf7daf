/// Stepping a message from a peer: validation, term rules (Raft §5.1), then dispatch by role.
extension RaftCore {
    /// Feeds one message from a peer. Malformed messages throw `invalidMessage` and change nothing;
    /// stale ones (an older term, an answer to something superseded) are ignored.
    public mutating func step(_ m: Message) throws(RaftError) {
        try validate(m)
        switch m.kind {
        case .propose, .readIndex, .transferLeader, .readIndexResponse:
            stepTermless(m)
            return
        default:
            break
        }
        guard stepTerm(m) else { return }
        switch m.kind {
        case .requestVote, .requestPreVote:
            handleVoteRequest(m)
            return
        default:
            break
        }
        switch role {
        case .leader: stepLeader(m)
        case .candidate, .preCandidate: stepCandidate(m)
        case .follower: stepFollower(m)
        }
    }

    /// Rejects messages that no correct peer sends. Never traps: the input comes from the network.
    func validate(_ m: Message) throws(RaftError) {
        guard m.to == id else { throw .invalidMessage("addressed to \(m.to), this is \(id)") }
        guard m.from != noNode, m.from != id else { throw .invalidMessage("bad sender \(m.from)") }
        switch m.kind {
        case .append:
            guard m.index < UInt64.max / 2 else { throw .invalidMessage("append index \(m.index) out of range") }
            var expected = m.index + 1
            var previousTerm = m.logTerm
            for entry in m.entries {
                guard entry.index == expected, entry.term >= previousTerm, entry.term <= m.term else {
                    throw .invalidMessage("append entries not contiguous after \(m.index) at \(entry.index)")
                }
                expected += 1
                previousTerm = entry.term
            }
            guard m.logTerm <= m.term else { throw .invalidMessage("append log term \(m.logTerm) above term \(m.term)") }
        case .installSnapshot:
            guard let snapshot = m.snapshot else { throw .invalidMessage("snapshot message without a snapshot") }
            guard !snapshot.metadata.configuration.voters.isEmpty else {
                throw .invalidMessage("snapshot at \(snapshot.metadata.index) has no voters")
            }
        case .propose:
            guard !m.entries.isEmpty else { throw .invalidMessage("forwarded proposal without entries") }
            for entry in m.entries where entry.kind == .noop {
                throw .invalidMessage("forwarded proposal of a no-op at \(entry.index)")
            }
        default:
            break
        }
        if m.kind != .propose && m.kind != .readIndex && m.kind != .transferLeader && m.kind != .readIndexResponse
            && m.term == 0 {
            throw .invalidMessage("\(m.kind) without a term")
        }
    }

    /// Applies the term rules. Returns false when the message must go no further.
    mutating func stepTerm(_ m: Message) -> Bool {
        if m.term > term {
            if m.kind == .requestVote || m.kind == .requestPreVote {
                // Leader stickiness (§4.2.3): while we hear from a leader, ignore would-be disruptors,
                // unless the leader itself asked for the election (transfer).
                let inLease = config.checkQuorum && leader != noNode && electionElapsed < config.electionTicks
                if inLease && m.context != campaignTransfer { return false }
            }
            switch m.kind {
            case .requestPreVote:
                break  // pre-vote never changes our term
            case .requestPreVoteResponse where !m.reject:
                break  // an answer to our pre-vote carries the future term
            case .append, .heartbeat, .installSnapshot:
                becomeFollower(term: m.term, leader: m.from)
            default:
                becomeFollower(term: m.term, leader: noNode)
            }
            return true
        }
        if m.term < term {
            if (config.checkQuorum || config.preVote) && (m.kind == .heartbeat || m.kind == .append) {
                // A stale leader (perhaps just healed from a partition) learns our term and steps down;
                // without this, pre-vote could leave it and us stuck (etcd issue 5451).
                send(Message(kind: .appendResponse, to: m.from))
            } else if m.kind == .requestPreVote {
                send(Message(kind: .requestPreVoteResponse, to: m.from, term: term, reject: true))
            }
            return false
        }
        return true
    }

    mutating func stepTermless(_ m: Message) {
        switch m.kind {
        case .propose:
            guard role == .leader else {
                if role == .follower && leader != noNode && leader != m.from {
                    send(Message(kind: .propose, to: leader, entries: m.entries))
                }
                return
            }
            for entry in m.entries {
                // A forwarded proposal that cannot be accepted is dropped; its client times out and retries.
                _ = try? appendProposal(Entry(term: 0, index: 0, kind: entry.kind, data: entry.data))
            }
        case .readIndex:
            if role == .leader {
                handleReadIndex(m)
            } else if role == .follower && leader != noNode && leader != m.from {
                send(Message(kind: .readIndex, to: leader, context: m.context))
            }
        case .readIndexResponse:
            readStates.append(ReadState(index: m.index, context: m.context))
        case .transferLeader:
            if role == .leader {
                handleTransferLeader(m.index)
            }
        default:
            break
        }
    }

    mutating func stepCandidate(_ m: Message) {
        switch m.kind {
        case .append:
            becomeFollower(term: m.term, leader: m.from)
            handleAppend(m)
        case .heartbeat:
            becomeFollower(term: m.term, leader: m.from)
            handleHeartbeat(m)
        case .installSnapshot:
            becomeFollower(term: m.term, leader: m.from)
            handleSnapshot(m)
        case .requestVoteResponse, .requestPreVoteResponse:
            handleVoteResponse(m)
        default:
            break
        }
    }

    mutating func stepFollower(_ m: Message) {
        switch m.kind {
        case .append:
            electionElapsed = 0
            leader = m.from
            handleAppend(m)
        case .heartbeat:
            electionElapsed = 0
            leader = m.from
            handleHeartbeat(m)
        case .installSnapshot:
            electionElapsed = 0
            leader = m.from
            handleSnapshot(m)
        case .timeoutNow:
            // The leader hands over: campaign at once, skipping pre-vote and stickiness (§3.10).
            hup(transfer: true)
        default:
            break
        }
    }

    // MARK: Follower handlers

    mutating func handleAppend(_ m: Message) {
        if m.index < log.committed {
            send(Message(kind: .appendResponse, to: m.from, index: log.committed))
            return
        }
        if let lastNew = log.maybeAppend(prevIndex: m.index, prevTerm: m.logTerm, leaderCommit: m.commit, m.entries) {
            send(Message(kind: .appendResponse, to: m.from, index: lastNew))
            return
        }
        // Tell the leader where our log may match: the last index at or below its probe whose term is no
        // newer than the term it expected, so it can skip a whole term per round trip.
        let hint = log.largestIndex(atOrBelow: min(m.index, log.lastIndex), withTermAtMost: m.logTerm)
        send(Message(kind: .appendResponse, to: m.from, logTerm: log.term(at: hint) ?? 0, index: m.index,
                     reject: true, rejectHint: hint))
    }

    mutating func handleHeartbeat(_ m: Message) {
        // The leader sends min(commit, our match), so everything up to it matches its log.
        log.commit(to: min(m.commit, log.lastIndex))
        send(Message(kind: .heartbeatResponse, to: m.from, context: m.context))
    }

    mutating func handleSnapshot(_ m: Message) {
        guard let snapshot = m.snapshot else { return }
        let metadata = snapshot.metadata
        if metadata.index <= log.committed {
            send(Message(kind: .appendResponse, to: m.from, index: log.committed))
        } else if log.matchTerm(metadata.index, metadata.term) {
            // We already hold that entry: only the commit index moves.
            // Entries past it are unverified, so report only the snapshot's index.
            log.commit(to: metadata.index)
            send(Message(kind: .appendResponse, to: m.from, index: log.committed))
        } else {
            log.restore(snapshot)
            send(Message(kind: .appendResponse, to: m.from, index: log.lastIndex))
        }
    }
}

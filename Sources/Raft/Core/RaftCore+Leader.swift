/// The leader's work: accepting proposals, replicating (Raft §5.3), committing (§5.4.2), ReadIndex
/// (dissertation §6.4) and leadership transfer (§3.10).
extension RaftCore {
    var hasCommittedEntryInCurrentTerm: Bool {
        log.term(at: log.committed) == term
    }

    mutating func appendProposal(_ entry: Entry) throws(RaftError) -> UInt64 {
        guard leadTransferee == noNode else {
            throw .proposalDropped("leadership is being transferred to node \(leadTransferee)")
        }
        if entry.kind == .configChange {
            guard hasCommittedEntryInCurrentTerm else {
                throw .proposalDropped("the new leader has not committed an entry of its term yet; retry shortly")
            }
            guard !log.hasPendingConfigChange else { throw .configChangePending }
            guard let change = ConfigChange(decoding: entry.data) else {
                throw .invalidConfigChange("undecodable change")
            }
            guard log.configuration.applying(change) != nil else {
                throw .invalidConfigChange("\(change.kind) of node \(change.node) does not apply to voters "
                    + "\(log.configuration.voters.sorted()) learners \(log.configuration.learners.sorted())")
            }
        }
        let bytes = entry.byteCount
        if uncommittedBytes > 0 && uncommittedBytes + bytes > config.maxUncommittedBytes {
            throw .proposalDropped("\(uncommittedBytes) bytes are waiting for a quorum; is a majority reachable?")
        }
        let appended = Entry(term: term, index: log.lastIndex + 1, kind: entry.kind, data: entry.data)
        log.append([appended])
        uncommittedBytes += bytes
        if appended.kind == .configChange { syncProgressWithConfiguration() }
        needsBroadcast = true
        return appended.index
    }

    // MARK: Replication

    mutating func broadcastAppend(sendIfEmpty: Bool) {
        for node in progress.keys.sorted() where node != id {
            if maybeSendAppend(to: node, sendIfEmpty: sendIfEmpty) {
                // Pipeline what is left, as far as the in-flight bounds allow.
                while maybeSendAppend(to: node, sendIfEmpty: false) {}
            }
        }
    }

    /// Sends the next append (or the snapshot) to `node` unless its progress is paused. Returns whether
    /// a message was sent.
    @discardableResult
    mutating func maybeSendAppend(to node: NodeID, sendIfEmpty: Bool) -> Bool {
        guard node != id, var pr = progress[node], !pr.isPaused else { return false }
        let prevIndex = pr.next - 1
        guard let prevTerm = log.term(at: prevIndex),
              let entries = log.entries(from: pr.next, through: log.lastIndex, maxBytes: config.maxMessageBytes)
        else {
            return maybeSendSnapshot(to: node)
        }
        if entries.isEmpty && !sendIfEmpty { return false }
        if let last = entries.last {
            pr.sentEntries(lastIndex: last.index, bytes: entries.reduce(0) { $0 + $1.byteCount })
        } else if pr.state == .probe {
            pr.probeSent = true
        }
        progress[node] = pr
        send(Message(kind: .append, to: node, logTerm: prevTerm, index: prevIndex, entries: entries,
                     commit: log.committed))
        return true
    }

    mutating func maybeSendSnapshot(to node: NodeID) -> Bool {
        guard var pr = progress[node], pr.recentActive else { return false }
        pr.becomeSnapshot(log.snapshotIndex)
        progress[node] = pr
        send(Message(kind: .installSnapshot, to: node, snapshot: log.snapshot))
        return true
    }

    mutating func broadcastHeartbeat(context: [UInt8]) {
        for node in progress.keys.sorted() where node != id {
            let commit = min(progress[node]?.match ?? 0, log.committed)
            send(Message(kind: .heartbeat, to: node, commit: commit, context: context))
        }
    }

    mutating func stepLeader(_ m: Message) {
        guard var pr = progress[m.from] else { return }  // not (or no longer) a member
        switch m.kind {
        case .appendResponse:
            pr.recentActive = true
            progress[m.from] = pr
            if m.reject { handleAppendRejection(m) } else { handleAppendSuccess(m) }
        case .heartbeatResponse:
            pr.recentActive = true
            pr.probeSent = false
            // A lost append can leave the window full forever; a heartbeat answer frees one slot.
            if pr.state == .replicate && pr.inflight.isFull { pr.inflight.free(through: pr.inflight.oldestIndex) }
            progress[m.from] = pr
            if pr.match < log.lastIndex { maybeSendAppend(to: m.from, sendIfEmpty: true) }
            if !m.context.isEmpty { acknowledgeRead(context: m.context, from: m.from) }
        default:
            break
        }
    }

    mutating func handleAppendRejection(_ m: Message) {
        guard var pr = progress[m.from] else { return }
        var hint = m.rejectHint
        if m.logTerm > 0 {
            // Skip every entry of ours whose term is newer than the follower's term at its hint.
            hint = log.largestIndex(atOrBelow: m.rejectHint, withTermAtMost: m.logTerm)
        }
        guard pr.maybeDecrease(rejected: m.index, hint: hint) else { return }
        if pr.state == .replicate { pr.becomeProbe() }
        progress[m.from] = pr
        maybeSendAppend(to: m.from, sendIfEmpty: true)
    }

    mutating func handleAppendSuccess(_ m: Message) {
        guard var pr = progress[m.from], m.index <= log.lastIndex else { return }
        guard pr.maybeUpdate(m.index) else { return }
        switch pr.state {
        case .probe:
            pr.becomeReplicate()
        case .snapshot where pr.match >= pr.pendingSnapshot:
            pr.becomeProbe()
            pr.becomeReplicate()
        case .snapshot:
            break
        case .replicate:
            pr.inflight.free(through: m.index)
        }
        progress[m.from] = pr
        if maybeCommit() {
            // Followers learn the new commit index now rather than at the next heartbeat.
            broadcastAppend(sendIfEmpty: true)
        } else {
            while maybeSendAppend(to: m.from, sendIfEmpty: false) {}
        }
        if m.from == leadTransferee && progress[m.from]?.match == log.lastIndex {
            send(Message(kind: .timeoutNow, to: m.from))
        }
    }

    // MARK: Commitment

    /// Commits the highest index a quorum of voters holds, if it is of the current term (§5.4.2, the
    /// Figure 8 rule). Returns whether the commit index moved.
    mutating func maybeCommit() -> Bool {
        let configuration = log.configuration
        guard !configuration.voters.isEmpty else { return false }
        let matches = configuration.voters.map { progress[$0]?.match ?? 0 }.sorted(by: >)
        let candidate = matches[configuration.quorum - 1]
        guard candidate > log.committed, log.term(at: candidate) == term else { return false }
        let previous = log.committed
        log.commit(to: candidate)
        onLeaderCommit(from: previous)
        return true
    }

    mutating func onLeaderCommit(from previous: UInt64) {
        var index = previous + 1
        while index <= log.committed {
            if let entry = log.entry(at: index), entry.term == term, entry.kind != .noop {
                uncommittedBytes = max(0, uncommittedBytes - entry.byteCount)
            }
            index += 1
        }
        if log.term(at: previous) != term && !readIndexWaiting.isEmpty {
            let waiting = readIndexWaiting
            readIndexWaiting = []
            for request in waiting { handleReadIndex(request) }
        }
        if !log.configuration(at: log.committed).voters.contains(id) {
            // Our own removal is committed (§4.2.2): tell the others, then stop leading.
            broadcastAppend(sendIfEmpty: true)
            becomeFollower(term: term, leader: noNode)
        }
    }

    // MARK: Reads

    mutating func handleReadIndex(_ m: Message) {
        let configuration = log.configuration
        if configuration.voters == [id] {
            releaseRead(index: log.committed, to: m.from, context: m.context)
            return
        }
        guard hasCommittedEntryInCurrentTerm else {
            // Until then our commit index may lag the true one (§6.4 step 1).
            readIndexWaiting.append(m)
            return
        }
        if config.leaseRead {
            releaseRead(index: log.committed, to: m.from, context: m.context)
            return
        }
        readIndexQueue.add(index: log.committed, from: m.from, context: m.context, selfID: id)
        broadcastHeartbeat(context: m.context)
    }

    mutating func acknowledgeRead(context: [UInt8], from node: NodeID) {
        let configuration = log.configuration
        let released = readIndexQueue.acknowledge(context: context, from: node) { acks in
            configuration.voters.filter { acks.contains($0) }.count >= configuration.quorum
        }
        for request in released { releaseRead(index: request.index, to: request.from, context: request.context) }
    }

    mutating func releaseRead(index: UInt64, to node: NodeID, context: [UInt8]) {
        if node == id {
            readStates.append(ReadState(index: index, context: context))
        } else {
            send(Message(kind: .readIndexResponse, to: node, index: index, context: context))
        }
    }

    // MARK: Leadership transfer

    mutating func handleTransferLeader(_ target: NodeID) {
        guard target != id, log.configuration.voters.contains(target), progress[target] != nil else { return }
        if leadTransferee == target { return }
        leadTransferee = target
        // The transfer must finish within an election timeout or it is abandoned (tickLeader).
        electionElapsed = 0
        if progress[target]?.match == log.lastIndex {
            send(Message(kind: .timeoutNow, to: target))
        } else {
            maybeSendAppend(to: target, sendIfEmpty: true)
        }
    }
}

import Logging

/// Carrying out a `Ready`, and what follows from applied entries.
extension NodeLoop {
    /// One `Ready`, in the order its documentation prescribes.
    func processReady() async {
        let ready = core.ready()
        if let soft = ready.softState { softStateChanged(soft) }
        if let hard = ready.hardState { logger[metadataKey: "raft.term"] = "\(hard.term)" }
        transport.send(ready.messages)
        if let hardState = persistableHardState(ready) {
            guard await persist(ready, hardState: hardState) else { return }
            persistedHardState = hardState ?? persistedHardState
            deferredHardState = nil
        } else {
            transport.send(ready.messagesAfterPersist)
        }
        core.advance(ready)
        if ready.snapshot != nil || !ready.committedEntries.isEmpty {
            let (applier, inbox) = (applier, inbox)
            let (snapshot, entries) = (ready.snapshot, ready.committedEntries)
            applyQueue.enqueue { inbox.post(.applied(applier.run(snapshot: snapshot, entries: entries))) }
        }
        for readState in ready.readStates {
            pending.readIndexArrived(context: readState.context, index: readState.index)
        }
    }

    /// Writes `ready`'s entries, snapshot and `hardState`, then sends the messages that promise they are
    /// durable. Returns false when the node failed or was asked to stop instead.
    ///
    /// A full disk is waited out, not treated as a failure: the same batch is retried every
    /// `outOfSpaceRetry` until it fits. Meanwhile this node neither votes nor acknowledges nor ticks, so
    /// to the others it is a paused member: a leader stuck here loses its lease to an election elsewhere,
    /// and once space is freed the node catches up like any follower that fell behind.
    private func persist(_ ready: Ready, hardState: HardState?) async -> Bool {
        let (storage, transport) = (storage, transport)
        var waited = false
        while true {
            let error: RaftError? = await persistQueue.run {
                do throws(RaftError) {
                    try storage.persist(hardState: hardState, entries: ready.entries, snapshot: ready.snapshot)
                } catch {
                    return error
                }
                // Votes and acknowledgements promise durability: sent only now, still off the loop.
                transport.send(ready.messagesAfterPersist)
                return nil
            }
            guard let error else {
                if waited {
                    _ = inbox.refuseRequests(nil)
                    logger.notice("raft log writable again; the node takes part in consensus again")
                }
                return true
            }
            guard case .outOfSpace = error else {
                fail(error, doing: "persisting entries")
                return false
            }
            if !waited {
                logger.error("raft log cannot be written, the disk is full; retrying until space is freed",
                             metadata: ["raft.error": "\(error)"])
                waited = true
                // Callers should not wait for a node that cannot write: refused, they go to another node.
                let refusal = RaftError.proposalDropped("node \(core.id) cannot write its log, its disk is full; try another node")
                for request in inbox.refuseRequests(refusal) { request.fail(refusal) }
                // Those already in the log may still commit through the others: their outcome is unknown.
                pending.failAll(.timeout)
                for reader in newReads { reader.reply.resume(returning: .failure(refusal)) }
                newReads = []
            }
            try? await Task.sleep(for: Self.outOfSpaceRetry)
            if inbox.stopQueued {
                stopRequested = true  // the run loop ends and shutdown() answers the queued stop
                return false
            }
        }
    }

    /// How often a write refused for a full disk is tried again.
    static var outOfSpaceRetry: Duration { .milliseconds(500) }

    /// Decides what this Ready writes. Returns nil when nothing needs an fsync, else `.some(hard state
    /// to write, maybe nil)`.
    ///
    /// A change of the commit index alone is not written at once (as etcd's `MustSync`): Raft keeps the
    /// commit index volatile (Figure 2) and a restarted node learns it again from the leader, so only
    /// term, vote, entries and snapshots need an fsync before dependent messages go out. The newest commit
    /// index rides along with the next batch that is written anyway; without this, every batch on a
    /// follower and every commit on the leader would cost a second fsync.
    private func persistableHardState(_ ready: Ready) -> HardState?? {
        let hardState = ready.hardState ?? deferredHardState
        if ready.entries.isEmpty && ready.snapshot == nil {
            guard let hardState else { return nil }
            if hardState.term == persistedHardState.term && hardState.vote == persistedHardState.vote {
                deferredHardState = hardState
                return nil
            }
        }
        return .some(hardState)
    }

    private func softStateChanged(_ soft: SoftState) {
        let previous = softState
        softState = soft
        guard soft.leader != previous.leader else { return }
        logger.debug("leader changed", metadata: ["raft.leader": "\(soft.leader)", "raft.role": "\(soft.role)"])
        pending.leaderChanged(to: soft.leader)
        // The old leader forgot our ReadIndex rounds; ask the new one (the contexts stay unique).
        guard soft.leader != noNode else { return }
        for context in pending.unansweredReadContexts {
            try? core.readIndex(context: context)
        }
    }

    func applied(_ report: ApplyReport) {
        if let restored = report.restoredSnapshotIndex {
            snapshotIndex = max(snapshotIndex, restored)
            snapshotAttemptIndex = max(snapshotAttemptIndex, restored)
        }
        appliedIndex = max(appliedIndex, report.appliedIndex)
        for completion in report.completions {
            pending.completeProposal(completion.requestID, completion.result)
        }
        for entry in report.configEntries { pending.configChangeApplied(entry) }
        pending.appliedThrough(appliedIndex)
        if let failure = report.failure { fail(failure, doing: "applying entries") }
    }

    // MARK: Snapshots

    /// Asks the apply thread for a snapshot once `snapshotInterval` entries were applied since the last.
    func maybeSnapshot() {
        let interval = options.snapshotInterval
        guard interval > 0, !snapshotInFlight, failure == nil,
              appliedIndex >= max(snapshotIndex, snapshotAttemptIndex) + interval else { return }
        snapshotInFlight = true
        snapshotAttemptIndex = appliedIndex
        let (applier, inbox) = (applier, inbox)
        applyQueue.enqueue { inbox.post(.snapshotTaken(applier.takeSnapshot())) }
    }

    /// Stores the snapshot, then compacts the core's log and the stored log behind it (the core requires
    /// the snapshot to be durable first).
    func snapshotTaken(_ result: Result<Snapshot, RaftError>) async {
        snapshotInFlight = false
        guard case .success(var snapshot) = result else {
            if case .failure(let error) = result {
                logger.error("state machine snapshot failed; retrying after another interval",
                             metadata: ["raft.error": "\(error)"])
            }
            return
        }
        let index = snapshot.metadata.index
        // A newer snapshot from the leader may have arrived while this one was taken.
        guard index > core.snapshotMetadata.index else { return }
        // The log is the authority on membership at `index` (the core records the same on compaction).
        snapshot.metadata.configuration = core.configuration(atIndex: index)
        await store(snapshot)
    }

    private func store(_ snapshot: Snapshot) async {
        let index = snapshot.metadata.index
        let storage = storage
        if let error = await persistQueue.run({ () -> RaftError? in
            do throws(RaftError) { try storage.saveSnapshot(snapshot) } catch { return error }
            return nil
        }) {
            if case .outOfSpace = error {
                // Nothing depends on this snapshot yet: the log keeps everything it would cover.
                logger.error("state machine snapshot not saved, the disk is full; retrying after another interval",
                             metadata: ["raft.error": "\(error)"])
                return
            }
            fail(error, doing: "saving a snapshot")
            return
        }
        do {
            try core.compact(snapshot)
        } catch {
            logger.debug("snapshot not used for compaction", metadata: ["raft.error": "\(error)"])
            return
        }
        snapshotIndex = index
        if let error = await persistQueue.run({ () -> RaftError? in
            do throws(RaftError) { try storage.compact(through: index) } catch { return error }
            return nil
        }) {
            fail(error, doing: "compacting the log")
            return
        }
        logger.debug("compacted the log", metadata: ["raft.snapshot": "\(index)"])
    }

    // MARK: Stopping

    /// A storage or state-machine failure: the node cannot go on safely, so it stops.
    func fail(_ error: RaftError, doing what: String) {
        guard failure == nil else { return }
        logger.error("raft node stops after a failure \(what)", metadata: ["raft.error": "\(error)"])
        failure = error
    }

    func shutdown() async {
        let error = failure ?? .stopped
        pending.failAll(error)
        for reader in newReads { reader.reply.resume(returning: .failure(error)) }
        newReads = []
        transport.stop()
        for event in inbox.close() {
            if case .stop(let continuation) = event { stopWaiters.append(continuation) } else { event.fail(error) }
        }
        // Wait for the apply thread, so the state machine is not touched once stop() returns.
        await applyQueue.run {}
        await persistQueue.run {}
        publishStatus(running: false)
        logger.debug("raft node stopped")
        for waiter in stopWaiters { waiter.resume() }
        stopWaiters = []
    }

    func publishStatus(running: Bool) {
        var status = RaftStatus(id: core.id)
        status.term = core.term
        status.role = core.role
        status.leader = core.leader
        status.commitIndex = core.commitIndex
        status.appliedIndex = appliedIndex
        status.lastIndex = core.lastIndex
        status.snapshotIndex = core.snapshotMetadata.index
        status.configuration = core.configuration
        if core.role == .leader { status.matchIndex = core.matchIndexes }
        status.isRunning = running
        statusBox.value = status
    }
}

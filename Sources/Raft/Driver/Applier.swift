import Logging

/// Applies committed entries to the state machine and keeps the client-session table, on the node's
/// apply thread. Confined to that one serial queue (hence `@unchecked Sendable`): the run loop only
/// enqueues work for it and reads its reports.
///
/// Entries at or below the state machine's durable `appliedIndex` at start are *replayed*: they update
/// the session table (which is durable only through snapshots) but do not reach the state machine again.
/// Their results are unknown, so a retry of one of them gets an error instead of its cached answer.
final class Applier: @unchecked Sendable {
    let nodeID: NodeID
    let stateMachine: any StateMachine
    let logger: Logger
    private(set) var sessions: ClientSessions
    /// The last entry applied, of any kind, and its term.
    private(set) var appliedIndex: UInt64 = 0
    private(set) var appliedTerm: UInt64 = 0
    /// What the state machine itself knows it has applied.
    private var stateMachineIndex: UInt64 = 0
    /// Entries up to here were applied before this start; they are replayed into the session table only.
    private var replayThrough: UInt64 = 0
    /// Set once the state machine failed; nothing is applied after that.
    private var failure: RaftError?

    init(nodeID: NodeID, stateMachine: any StateMachine, sessionIdleEntries: UInt64, maxSessions: Int,
         logger: Logger) {
        self.nodeID = nodeID
        self.stateMachine = stateMachine
        self.logger = logger
        sessions = ClientSessions(idleEntries: sessionIdleEntries, maxSessions: maxSessions)
    }

    /// Brings the state machine and session table to the stored snapshot, if any, and returns the index
    /// from which the core must hand out committed entries again (the snapshot's, else 0): entries after
    /// it are needed to rebuild the session table even when the state machine already has them.
    func prepare(restoring persisted: PersistedState) throws(RaftError) -> UInt64 {
        if let snapshot = persisted.snapshot, snapshot.metadata.index > 0 {
            let alreadyThere = stateMachine.appliedIndex >= snapshot.metadata.index
            try restore(snapshot, intoStateMachine: !alreadyThere)
        }
        stateMachineIndex = stateMachine.appliedIndex
        replayThrough = stateMachineIndex
        return appliedIndex
    }

    /// Restores `snapshot` (if any), then applies `entries` in order.
    func run(snapshot: Snapshot?, entries: [Entry]) -> ApplyReport {
        var report = ApplyReport(appliedIndex: appliedIndex)
        guard failure == nil else {
            report.failure = failure
            return report
        }
        do throws(RaftError) {
            if let snapshot {
                try restore(snapshot, intoStateMachine: true)
                report.restoredSnapshotIndex = snapshot.metadata.index
            }
            for entry in entries where entry.index > appliedIndex {
                precondition(entry.index == appliedIndex + 1,
                             "node \(nodeID): applying \(entry.index) after \(appliedIndex)")
                try apply(entry, into: &report)
            }
            if stateMachineIndex < appliedIndex {
                try callStateMachine { try stateMachine.markApplied(through: appliedIndex) }
                stateMachineIndex = appliedIndex
            }
        } catch {
            failure = error
            report.failure = error
        }
        report.appliedIndex = appliedIndex
        return report
    }

    /// The state machine's image wrapped with the session table, at `appliedIndex`. The run loop fills in
    /// the membership from the log.
    func takeSnapshot() -> Result<Snapshot, RaftError> {
        if let failure { return .failure(failure) }
        guard appliedIndex > 0 else { return .failure(.unavailable(0)) }
        do throws(RaftError) {
            let data = try callStateMachine { try stateMachine.snapshot() }
            let envelope = SnapshotEnvelope(sessions: sessions.encoded(), stateMachineData: data)
            let metadata = SnapshotMetadata(index: appliedIndex, term: appliedTerm)
            return .success(Snapshot(metadata: metadata, data: envelope.encoded))
        } catch {
            return .failure(error)
        }
    }

    // MARK: Steps

    private func restore(_ snapshot: Snapshot, intoStateMachine: Bool) throws(RaftError) {
        let envelope = try SnapshotEnvelope(decoding: snapshot.data)
        let restored = try ClientSessions(decoding: envelope.sessions, idleEntries: sessions.idleEntries,
                                          maxSessions: sessions.maxSessions)
        if intoStateMachine {
            let inner = Snapshot(metadata: snapshot.metadata, data: envelope.stateMachineData)
            try callStateMachine { try stateMachine.restore(inner) }
            stateMachineIndex = snapshot.metadata.index
        }
        sessions = restored
        appliedIndex = snapshot.metadata.index
        appliedTerm = snapshot.metadata.term
        logger.debug("restored snapshot", metadata: ["raft.snapshot": "\(snapshot.metadata.index)"])
    }

    private func apply(_ entry: Entry, into report: inout ApplyReport) throws(RaftError) {
        switch entry.kind {
        case .noop:
            break
        case .configChange:
            report.configEntries.append(entry)
        case .normal:
            try applyNormal(entry, into: &report)
        }
        appliedIndex = entry.index
        appliedTerm = entry.term
        sessions.expire(at: entry.index)
    }

    private func applyNormal(_ entry: Entry, into report: inout ApplyReport) throws(RaftError) {
        guard let envelope = try? ProposalEnvelope(decoding: entry.data) else {
            // Only a foreign writer produces this; every node skips it alike, so states stay equal.
            logger.warning("skipping an entry without a proposal envelope", metadata: ["raft.index": "\(entry.index)"])
            return
        }
        let replay = entry.index <= replayThrough
        let outcome: Result<[UInt8], RaftError>
        switch sessions.verdict(client: envelope.client, sequence: envelope.sequence) {
        case .apply where replay:
            sessions.record(client: envelope.client, sequence: envelope.sequence, result: nil, at: entry.index)
            return
        case .apply:
            let inner = Entry(term: entry.term, index: entry.index, kind: .normal, data: envelope.payload)
            let result = try callStateMachine { try stateMachine.apply(inner) }
            stateMachineIndex = entry.index
            sessions.record(client: envelope.client, sequence: envelope.sequence, result: result, at: entry.index)
            outcome = .success(result)
        case .duplicate(let cached?):
            outcome = .success(cached)
        case .duplicate(nil):
            outcome = .failure(.proposalDropped("sequence \(envelope.sequence) of \(envelope.client) was applied "
                + "before a restart and its result is no longer known"))
        case .stale(let latest):
            outcome = .failure(.proposalDropped("sequence \(envelope.sequence) of \(envelope.client) is older "
                + "than its latest applied sequence \(latest)"))
        }
        if envelope.origin == nodeID && !replay {
            report.completions.append((envelope.requestID, outcome))
        }
    }

    /// Maps the state machine's untyped errors to `RaftError.storage`: a failing state machine stops the node.
    private func callStateMachine<T>(_ body: () throws -> T) throws(RaftError) -> T {
        do {
            return try body()
        } catch {
            throw .storage("state machine of node \(nodeID): \(error)")
        }
    }
}

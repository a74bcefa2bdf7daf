/// The Raft consensus algorithm as a deterministic, I/O-free state machine.
///
/// Follows Ongaro & Ousterhout, "In Search of an Understandable Consensus Algorithm" (2014) and Ongaro's
/// dissertation "Consensus: Bridging Theory and Practice" (2014), with these choices and deviations:
/// - Pre-vote (§9.6) and check-quorum / leader stickiness (§4.2.3) are on by default.
/// - Membership changes are single-server (§4.1): a node uses the latest configuration in its log,
///   committed or not; a leader proposes one only after committing an entry of its term, one at a time.
/// - A leader replicates before its own write is durable (§10.2.1) but counts itself toward a quorum
///   only for entries the driver reported durable through `advance`.
/// - Fast backtracking by term (as in etcd) instead of one index per round trip.
/// - Follower proposals and ReadIndex requests are forwarded to the leader.
/// - A bootstrap writes the founding voters as committed entries at term 1 (`PersistedState.bootstrap`).
///
/// No clock, no randomness but the seeded generator in its config, no I/O: inputs are `tick()`,
/// `step(_:)`, `propose(_:)`, `proposeConfigChange(_:)`, `readIndex(context:)`,
/// `transferLeadership(to:)`; outputs are drained with `ready()` (see `Ready` for the order in which
/// the driver MUST carry them out) and acknowledged with `advance(_:)`.
public struct RaftCore: Sendable {
    let config: RaftConfig
    var random: SeededGenerator

    public internal(set) var term: UInt64
    public internal(set) var vote: NodeID
    public internal(set) var leader: NodeID = noNode
    public internal(set) var role: Role = .follower
    var log: RaftLog

    /// On a leader: what it knows of each member (itself included).
    var progress: [NodeID: Progress] = [:]
    /// On a (pre-)candidate: the answers received so far.
    var votes: [NodeID: Bool] = [:]

    var electionElapsed = 0
    var heartbeatElapsed = 0
    var randomizedElectionTimeout = 0
    /// On a leader: the node leadership is being handed to, or `noNode`.
    public internal(set) var leadTransferee: NodeID = noNode
    /// On a leader: bytes of entries appended but not yet committed.
    var uncommittedBytes = 0
    var readIndexQueue = ReadIndexQueue()
    /// ReadIndex requests that arrived before the leader committed an entry of its term.
    var readIndexWaiting: [Message] = []

    var outbox: [Message] = []
    var outboxAfterPersist: [Message] = []
    var readStates: [ReadState] = []
    var needsBroadcast = false
    var lastSoftState: SoftState
    var lastHardState: HardState
    var readyOutstanding = false

    /// Creates a node from what storage holds. `applied` is the index the state machine has already
    /// applied (it persists that with its data); entries up to it are not handed out again.
    public init(config: RaftConfig, restoring state: PersistedState, applied: UInt64 = 0) {
        precondition(config.electionTicks > config.heartbeatTicks && config.heartbeatTicks > 0,
                     "electionTicks (\(config.electionTicks)) must exceed heartbeatTicks (\(config.heartbeatTicks)) > 0")
        precondition(!config.leaseRead || config.checkQuorum, "leaseRead requires checkQuorum")
        self.config = config
        random = SeededGenerator(seed: config.seed ^ (config.id &* 0x9E37_79B9_7F4A_7C15))
        term = state.hardState.term
        vote = state.hardState.vote
        log = RaftLog(restoring: state, applied: applied)
        lastSoftState = SoftState(leader: noNode, role: .follower)
        lastHardState = HardState(term: term, vote: vote, commit: log.committed)
        resetElectionTimer()
    }

    // MARK: Observing

    public var id: NodeID { config.id }
    public var commitIndex: UInt64 { log.committed }
    public var appliedIndex: UInt64 { log.applied }
    public var lastIndex: UInt64 { log.lastIndex }
    public var lastTerm: UInt64 { log.lastTerm }
    public var firstIndex: UInt64 { log.firstIndex }
    public var configuration: Configuration { log.configuration }
    public var hardState: HardState { HardState(term: term, vote: vote, commit: log.committed) }
    public var softState: SoftState { SoftState(leader: leader, role: role) }
    /// The latest snapshot this node holds (index 0 when none).
    public var snapshotMetadata: SnapshotMetadata { log.snapshot.metadata }

    /// The membership as of `index` (not below the snapshot): what a snapshot taken there MUST record.
    public func configuration(atIndex index: UInt64) -> Configuration { log.configuration(at: index) }

    /// The term of the entry at `index`; nil when compacted away or past the end.
    public func term(atIndex index: UInt64) -> UInt64? { log.term(at: index) }

    /// The entry at `index`, if the log still holds it.
    public func entry(at index: UInt64) -> Entry? { log.entry(at: index) }

    /// True when this node may vote and campaign.
    public var isVoter: Bool { log.configuration.voters.contains(id) }

    /// Replication progress of every member as the leader sees it; empty on other roles.
    public var replicationStatus: [NodeID: (match: UInt64, next: UInt64, state: String)] {
        guard role == .leader else { return [:] }
        return progress.mapValues { ($0.match, $0.next, $0.state.rawValue) }
    }

    /// On a leader: the match index of every member (itself included); empty on other roles.
    public var matchIndexes: [NodeID: UInt64] {
        guard role == .leader else { return [:] }
        return progress.mapValues(\.match)
    }

    /// Internal consistency checks for tests and simulation; nil when everything holds.
    public func invariantViolation() -> String? {
        if let problem = log.checkInvariants() { return "node \(id): \(problem)" }
        if role == .leader && leader != id { return "node \(id) leads but names \(leader) as leader" }
        if vote != noNode && term == 0 { return "node \(id) voted in term 0" }
        return nil
    }

    // MARK: Inputs

    /// Advances logical time by one tick.
    public mutating func tick() {
        switch role {
        case .leader: tickLeader()
        default: tickFollower()
        }
    }

    /// Proposes application data. On the leader, returns the index it was appended at; on a follower it
    /// is forwarded to the leader and nil is returned (the caller learns the outcome when it is applied).
    @discardableResult
    public mutating func propose(_ data: [UInt8]) throws(RaftError) -> UInt64? {
        try propose(Entry(term: 0, index: 0, kind: .normal, data: data))
    }

    /// Proposes a single-server membership change (see `ConfigChange`).
    @discardableResult
    public mutating func proposeConfigChange(_ change: ConfigChange) throws(RaftError) -> UInt64? {
        try propose(Entry(term: 0, index: 0, kind: .configChange, data: change.encoded))
    }

    private mutating func propose(_ entry: Entry) throws(RaftError) -> UInt64? {
        switch role {
        case .leader:
            return try appendProposal(entry)
        case .follower:
            guard leader != noNode else { throw .noLeader }
            send(Message(kind: .propose, to: leader, entries: [entry]))
            return nil
        case .candidate, .preCandidate:
            throw .noLeader
        }
    }

    /// Asks for a linearizable read point tagged `context` (unique per request). The answer arrives as a
    /// `ReadState` in a later `Ready`; no answer (after a leader change) means: ask again.
    public mutating func readIndex(context: [UInt8]) throws(RaftError) {
        let request = Message(kind: .readIndex, from: id, to: id, context: context)
        switch role {
        case .leader:
            handleReadIndex(request)
        case .follower:
            guard leader != noNode else { throw .noLeader }
            send(Message(kind: .readIndex, to: leader, context: context))
        case .candidate, .preCandidate:
            throw .noLeader
        }
    }

    /// Asks the leader to hand leadership to `target` (Raft dissertation §3.10).
    public mutating func transferLeadership(to target: NodeID) {
        if role == .leader {
            handleTransferLeader(target)
        } else if leader != noNode {
            send(Message(kind: .transferLeader, to: leader, index: target))
        }
    }

    /// Starts an election now, as if the election timer fired (used by tests and by operators).
    public mutating func campaign() {
        hup(transfer: false)
    }

    /// The transport could not reach `node`: stop pipelining to it until it answers.
    public mutating func reportUnreachable(_ node: NodeID) {
        guard role == .leader, var pr = progress[node] else { return }
        if pr.state == .replicate { pr.becomeProbe() }
        progress[node] = pr
    }

    /// The transport finished (or gave up) sending a snapshot to `node`.
    public mutating func reportSnapshot(to node: NodeID, succeeded: Bool) {
        guard role == .leader, var pr = progress[node], pr.state == .snapshot else { return }
        if !succeeded { pr.pendingSnapshot = 0 }
        pr.becomeProbe()
        // Wait for the follower's answer (or the next heartbeat) before probing again.
        pr.probeSent = true
        progress[node] = pr
    }

    /// Replaces the log up to `snapshot.metadata.index` (which MUST be applied) with a snapshot the
    /// application took of its state there. The driver stores the snapshot before calling this.
    public mutating func compact(_ snapshot: Snapshot) throws(RaftError) {
        let index = snapshot.metadata.index
        guard index <= log.applied else { throw .unavailable(index) }
        guard index > log.snapshotIndex else { throw .compacted(index) }
        guard log.term(at: index) == snapshot.metadata.term else {
            throw .invalidMessage("snapshot term \(snapshot.metadata.term) does not match the log at \(index)")
        }
        log.compact(with: snapshot)
    }

    // MARK: Outputs

    /// True when `ready()` would return something to do.
    public var hasReady: Bool {
        if readyOutstanding { return false }
        return !outbox.isEmpty || !outboxAfterPersist.isEmpty || !readStates.isEmpty || needsBroadcast
            || softState != lastSoftState || hardState != lastHardState || log.pendingSnapshot != nil
            || log.hasUnstableEntries || log.hasEntriesToApply
    }

    /// Drains the work for the driver. The driver MUST call `advance(_:)` with it before the next `ready()`.
    public mutating func ready() -> Ready {
        precondition(!readyOutstanding, "ready() called again before advance()")
        if role == .leader && needsBroadcast { broadcastAppend(sendIfEmpty: false) }
        needsBroadcast = false
        var ready = Ready()
        if softState != lastSoftState { ready.softState = softState; lastSoftState = softState }
        if hardState != lastHardState { ready.hardState = hardState; lastHardState = hardState }
        ready.snapshot = log.pendingSnapshot
        ready.entries = log.unstableEntries
        log.markHandedOutForPersist()
        ready.committedEntries = log.entriesToApply
        if let last = ready.committedEntries.last { log.markHandedOutForApply(through: last.index) }
        ready.messages = outbox
        ready.messagesAfterPersist = outboxAfterPersist
        ready.readStates = readStates
        outbox = []
        outboxAfterPersist = []
        readStates = []
        readyOutstanding = true
        return ready
    }

    /// Acknowledges a `Ready` the driver has carried out (its entries and snapshot are durable, its
    /// committed entries applied or about to be, in order, before anything else is applied).
    public mutating func advance(_ ready: Ready) {
        precondition(readyOutstanding, "advance() without ready()")
        readyOutstanding = false
        if let snapshot = ready.snapshot { log.stableSnapshot(snapshot.metadata.index) }
        if let last = ready.entries.last {
            log.stable(to: last.index, term: last.term)
        }
        if let last = ready.committedEntries.last { log.applied(to: last.index) }
        if role == .leader, !ready.entries.isEmpty, var me = progress[id] {
            if me.maybeUpdate(log.stableIndex) {
                progress[id] = me
                if maybeCommit() { needsBroadcast = true }
            }
        }
    }

    mutating func send(_ message: Message) {
        var message = message
        message.from = id
        // Forwarded requests carry no term; pre-vote messages set theirs explicitly (term + 1).
        let termless: Set<MessageKind> = [.propose, .readIndex, .transferLeader, .readIndexResponse]
        if message.term == 0 && !termless.contains(message.kind) {
            message.term = term
        }
        switch message.kind {
        case .appendResponse, .heartbeatResponse, .requestVote, .requestVoteResponse:
            outboxAfterPersist.append(message)
        default:
            outbox.append(message)
        }
    }

    mutating func resetElectionTimer() {
        electionElapsed = 0
        randomizedElectionTimeout = config.electionTicks + Int(random.next() % UInt64(config.electionTicks))
    }
}

@testable import Raft
import Testing

/// A directed network link, for cutting.
struct TestLink: Hashable {
    var from: NodeID
    var to: NodeID
}

/// One Ready as a node produced it, so two runs can be compared whole.
struct TracedReady: Equatable {
    var node: NodeID
    var ready: Ready
}

/// A deterministic cluster of `RaftCore`s for scenario tests: in-memory disks, a message queue that is
/// delivered explicitly or by `stabilize()`, link cutting and drop rules, crash/restart/pause, and logical
/// ticks. Every step is followed by safety checks (one leader per term, the cores' own invariants, no two
/// different entries applied at one index anywhere); `finish()` adds the end-of-test checks.
///
/// Everything runs in one plain loop in node-id order, so one seed always replays the same run.
final class TestCluster {
    let seed: UInt64
    private let configure: (inout RaftConfig) -> Void
    private(set) var nodes: [NodeID: TestNode] = [:]

    /// Sent, not yet delivered, in send order.
    private(set) var inFlight: [Message] = []
    private var cutLinks: Set<TestLink> = []
    /// A message for which this returns true is lost (evaluated at delivery).
    var dropRule: ((Message) -> Bool)?
    /// Called with every message just before the receiver steps it.
    var onDeliver: ((Message) -> Void)?
    /// One-shot: when it returns true for a Ready, the node sends that Ready's `messages` and then
    /// crashes before anything of it is persisted.
    var crashBeforePersist: ((NodeID, Ready) -> Bool)?

    private(set) var delivered: [Message] = []
    private(set) var dropped: [Message] = []
    private(set) var readyTrace: [TracedReady] = []

    /// The node seen leading each term.
    private(set) var leadersByTerm: [UInt64: NodeID] = [:]
    private(set) var violations: [String] = []
    private var appliedAnywhere: [UInt64: Entry] = [:]
    private var nextSeq: [UInt64: UInt64] = [:]

    /// `voters` founders with ids 1…voters, bootstrapped together.
    convenience init(voters: Int, seed: UInt64 = 1, configure: @escaping (inout RaftConfig) -> Void = { _ in }) {
        let ids = (1...UInt64(voters)).map { $0 }
        let state = PersistedState.bootstrap(voters: ids)
        self.init(states: Dictionary(uniqueKeysWithValues: ids.map { ($0, state) }), seed: seed, configure: configure)
    }

    /// Nodes started from the given disks (for hand-built log shapes).
    init(states: [NodeID: PersistedState], seed: UInt64 = 1,
         configure: @escaping (inout RaftConfig) -> Void = { _ in }) {
        self.seed = seed
        self.configure = configure
        for (id, state) in states.sorted(by: { $0.key < $1.key }) {
            nodes[id] = TestNode(config: makeConfig(id), disk: TestDisk(state))
            restart(id)
        }
    }

    private func makeConfig(_ id: NodeID) -> RaftConfig {
        var config = RaftConfig(id: id, seed: seed)
        configure(&config)
        return config
    }

    // MARK: Looking

    var ids: [NodeID] { nodes.keys.sorted() }
    var runningIDs: [NodeID] { ids.filter { nodes[$0]!.isRunning } }

    subscript(_ id: NodeID) -> TestNode { nodes[id]! }

    /// A copy of the core of `id`, which must be running.
    func core(_ id: NodeID) -> RaftCore { nodes[id]!.core! }

    /// The running leader with the highest term, if any.
    func leader() -> NodeID? {
        runningIDs.filter { core($0).role == .leader }.max { core($0).term < core($1).term }
    }

    /// Runs `body` on the live core of `id`, then checks safety.
    @discardableResult
    func withCore<T, E: Error>(_ id: NodeID, _ body: (inout RaftCore) throws(E) -> T) throws(E) -> T {
        defer { checkSafety() }
        return try body(&nodes[id]!.core!)
    }

    func campaign(_ id: NodeID) {
        withCore(id) { $0.campaign() }
    }

    // MARK: Faults

    func crash(_ id: NodeID) {
        let node = nodes[id]!
        node.core = nil
        node.machine = TestStateMachine()
        node.paused = false
    }

    /// Starts `id` from its disk; the state machine restarts from the disk's snapshot.
    func restart(_ id: NodeID) {
        let node = nodes[id]!
        precondition(node.core == nil, "node \(id) is already running")
        let state = node.disk.state
        node.machine = state.snapshot.map(TestStateMachine.init(restoring:)) ?? TestStateMachine()
        node.core = RaftCore(config: node.config, restoring: state, applied: state.snapshot?.metadata.index ?? 0)
        checkSafety()
    }

    /// A node joining with nothing on disk.
    func addNode(_ id: NodeID) {
        precondition(nodes[id] == nil, "node \(id) exists")
        nodes[id] = TestNode(config: makeConfig(id), disk: TestDisk())
        restart(id)
    }

    func pause(_ id: NodeID) { nodes[id]!.paused = true }
    func resume(_ id: NodeID) { nodes[id]!.paused = false }

    func cut(from: NodeID, to: NodeID) { cutLinks.insert(TestLink(from: from, to: to)) }

    func isolate(_ id: NodeID) {
        for other in ids where other != id {
            cut(from: id, to: other)
            cut(from: other, to: id)
        }
    }

    /// Cuts every link between nodes of different groups.
    func partition(_ groups: [[NodeID]]) {
        for (i, group) in groups.enumerated() {
            for other in groups[(i + 1)...] {
                for a in group {
                    for b in other {
                        cut(from: a, to: b)
                        cut(from: b, to: a)
                    }
                }
            }
        }
    }

    func heal() { cutLinks = [] }

    // MARK: Running

    /// Advances every running node by one tick (in id order) and settles, `count` times.
    func tick(_ count: Int = 1) {
        for _ in 0..<count {
            for id in runningIDs { nodes[id]!.core!.tick() }
            checkSafety()
            stabilize()
        }
    }

    /// Ticks until `done()` holds; returns the number of ticks taken, or nil after `maxTicks`.
    @discardableResult
    func tickUntil(maxTicks: Int, _ done: () -> Bool) -> Int? {
        if done() { return 0 }
        for elapsed in 1...maxTicks {
            tick()
            if done() { return elapsed }
        }
        return nil
    }

    /// Ticks until some running node leads; returns it.
    @discardableResult
    func electLeader(maxTicks: Int = 300) -> NodeID? {
        tickUntil(maxTicks: maxTicks) { leader() != nil }
        return leader()
    }

    /// Processes every Ready and delivers every message until nothing is left to do.
    func stabilize(maxRounds: Int = 1_000) {
        for _ in 0..<maxRounds {
            var busy = false
            for id in ids where processReady(id) { busy = true }
            if !inFlight.isEmpty {
                busy = true
                let batch = inFlight
                inFlight = []
                for message in batch { deliver(message) }
            }
            if !busy { return }
        }
        record("the cluster did not settle within \(maxRounds) rounds")
    }

    /// Carries out one Ready of `id` in the contract's order: send `messages`; persist; send
    /// `messagesAfterPersist`; `advance`; restore the snapshot and apply; collect read states.
    @discardableResult
    func processReady(_ id: NodeID) -> Bool {
        guard let node = nodes[id], node.isRunning, node.core!.hasReady else { return false }
        let ready = node.core!.ready()
        readyTrace.append(TracedReady(node: id, ready: ready))
        inFlight.append(contentsOf: ready.messages)
        if let rule = crashBeforePersist, rule(id, ready) {
            crashBeforePersist = nil
            crash(id)
            return true
        }
        if let problem = node.disk.write(ready) { record("node \(id): \(problem)") }
        inFlight.append(contentsOf: ready.messagesAfterPersist)
        node.core!.advance(ready)
        apply(ready, on: node)
        checkSafety()
        return true
    }

    private func apply(_ ready: Ready, on node: TestNode) {
        if let snapshot = ready.snapshot { node.machine = TestStateMachine(restoring: snapshot) }
        for entry in ready.committedEntries {
            if let problem = node.machine.apply(entry) { record("node \(node.id): \(problem)") }
            if let earlier = node.appliedHistory[entry.index], earlier != entry {
                record("node \(node.id) applied \(entry) at \(entry.index) after applying \(earlier) there")
            }
            if let other = appliedAnywhere[entry.index], other != entry {
                record("node \(node.id) applied \(entry) at \(entry.index); another node applied \(other)")
            }
            node.appliedHistory[entry.index] = entry
            appliedAnywhere[entry.index] = entry
        }
        node.readStates.append(contentsOf: ready.readStates)
    }

    /// Whether the network and the receiver let `message` through now.
    func canDeliver(_ message: Message) -> Bool {
        guard let target = nodes[message.to], target.isRunning else { return false }
        if cutLinks.contains(TestLink(from: message.from, to: message.to)) { return false }
        return !(dropRule?(message) ?? false)
    }

    /// Delivers one message now (or loses it), telling the sender's transport how a snapshot went.
    func deliver(_ message: Message) {
        let sender = nodes[message.from]
        guard canDeliver(message) else {
            dropped.append(message)
            if message.kind == .installSnapshot, sender?.isRunning == true {
                sender!.core!.reportSnapshot(to: message.to, succeeded: false)
            }
            return
        }
        onDeliver?(message)
        do {
            try nodes[message.to]!.core!.step(message)
        } catch {
            record("node \(message.to) refused \(message.kind) from \(message.from): \(error)")
        }
        delivered.append(message)
        if message.kind == .installSnapshot, sender?.isRunning == true {
            sender!.core!.reportSnapshot(to: message.to, succeeded: true)
        }
        checkSafety()
    }

    /// Enqueues a hand-made message as if a peer had sent it.
    func send(_ message: Message) { inFlight.append(message) }

    // MARK: Checking

    /// After every step: the cores' own invariants, and at most one leader per term.
    func checkSafety() {
        for id in ids {
            guard let core = nodes[id]!.core else { continue }
            if let problem = core.invariantViolation() { record(problem) }
            guard core.role == .leader else { continue }
            if let other = leadersByTerm[core.term], other != id {
                record("nodes \(other) and \(id) both lead term \(core.term)")
            } else {
                leadersByTerm[core.term] = id
            }
        }
    }

    func record(_ problem: String) {
        // A broken run can repeat one problem at every step; report the first few.
        if violations.count < 10 { Issue.record(Comment(rawValue: "safety: \(problem)")) }
        violations.append(problem)
    }

    /// End-of-test checks: no violation was seen, and the state machines' applied commands are
    /// prefix-consistent across nodes (no node applied something another applied differently).
    func finish(sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(violations.isEmpty, "\(violations.count) safety violations", sourceLocation: sourceLocation)
        let all = ids
        for (i, a) in all.enumerated() {
            for b in all[(i + 1)...] {
                let left = nodes[a]!.machine.applied
                let right = nodes[b]!.machine.applied
                let common = min(left.count, right.count)
                #expect(Array(left.prefix(common)) == Array(right.prefix(common)),
                        "applied commands of nodes \(a) and \(b) are not prefix-consistent",
                        sourceLocation: sourceLocation)
            }
        }
    }

    // MARK: Workload

    /// Proposes the next command of `client` on `id`. The sequence number is used up only when the core
    /// accepts (or forwards) the proposal.
    @discardableResult
    func propose(on id: NodeID, client: UInt64 = 1, payload: [UInt8] = []) throws(RaftError)
        -> (command: TestCommand, index: UInt64?) {
        let command = TestCommand(client: client, seq: nextSeq[client, default: 0] + 1, payload: payload)
        let index = try withCore(id) { core throws(RaftError) in try core.propose(command.encoded) }
        nextSeq[client] = command.seq
        return (command, index)
    }

    /// Proposes `count` commands on `id` (default: the leader), settles, and ticks once so followers learn
    /// the new commit index. Records an issue for any command the proposer did not apply.
    @discardableResult
    func proposeCommitted(_ count: Int, on id: NodeID? = nil,
                          sourceLocation: SourceLocation = #_sourceLocation) -> [TestCommand] {
        guard let target = id ?? leader() else {
            Issue.record("no leader to propose to", sourceLocation: sourceLocation)
            return []
        }
        var commands: [TestCommand] = []
        for _ in 0..<count {
            do {
                commands.append(try propose(on: target).command)
            } catch {
                Issue.record("proposal on \(target) failed: \(error)", sourceLocation: sourceLocation)
            }
        }
        stabilize()
        tick()
        let applied = Set(nodes[target]!.machine.applied)
        let missing = commands.filter { !applied.contains($0) }
        #expect(missing.isEmpty, "node \(target) did not apply \(missing)", sourceLocation: sourceLocation)
        return commands
    }

    /// Proposes `change` on the leader (retrying while the leader is new or another change is pending)
    /// and ticks until the leader has committed it. Returns the change's index.
    @discardableResult
    func changeMembership(_ change: ConfigChange, maxTicks: Int = 100,
                          sourceLocation: SourceLocation = #_sourceLocation) -> UInt64? {
        for _ in 0..<maxTicks {
            if let leader = leader() {
                do {
                    let index = try withCore(leader) { core throws(RaftError) in try core.proposeConfigChange(change) }
                    if let index, tickUntil(maxTicks: maxTicks, { self.core(leader).commitIndex >= index }) != nil {
                        return index
                    }
                    break
                } catch .configChangePending, .proposalDropped {
                    // Retry after a tick.
                } catch {
                    Issue.record("\(change) refused: \(error)", sourceLocation: sourceLocation)
                    return nil
                }
            }
            tick()
        }
        Issue.record("\(change) did not commit", sourceLocation: sourceLocation)
        return nil
    }

    /// Takes a state-machine snapshot of `id` at its applied index, stores it, then compacts the core's
    /// log (the order `RaftCore.compact` asks for).
    @discardableResult
    func compact(_ id: NodeID) throws(RaftError) -> SnapshotMetadata {
        let node = nodes[id]!
        let index = node.machine.appliedIndex
        guard let term = node.core!.entry(at: index)?.term else { throw .compacted(index) }
        let metadata = SnapshotMetadata(index: index, term: term, configuration: node.machine.configuration)
        let snapshot = Snapshot(metadata: metadata, data: node.machine.snapshotData)
        node.disk.storeCompacted(snapshot)
        try withCore(id) { core throws(RaftError) in try core.compact(snapshot) }
        return metadata
    }

    /// Messages delivered so far that match `filter`.
    func deliveredCount(_ filter: (Message) -> Bool) -> Int { delivered.count(where: filter) }
}

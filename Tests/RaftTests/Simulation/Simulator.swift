@testable import Raft
@testable import Linearizability

/// The faults a simulation may inject.
enum SimFault: CaseIterable, Hashable {
    case partitions, asymmetricLinks, loss, duplicates, crashes, tornWrites, pauses, membership
}

/// Settings of one simulated run.
struct SimOptions {
    var voters = 5
    /// Extra node ids that membership changes may add.
    var spares = 2
    var faults: Set<SimFault> = Set(SimFault.allCases)
    var clients = 4
    var keys = 4
    var durationMs: UInt64 = 30_000
    /// Fault-free time at the end, for the liveness checks.
    var settleMs: UInt64 = 8_000
    var tickMs: UInt64 = 10
    var electionTicks = 10
    var maxDelayMs: UInt64 = 6
    var snapshotEvery: UInt64 = 64
    var keepTrace = false
    /// A deliberate bug for testing the checkers: serve reads from the local state machine, skipping
    /// ReadIndex, so a lagging follower returns stale values.
    var unsafeLocalReads = false
}

/// One simulated node: its durable disk, and (unless crashed) its core and state machine.
struct SimNode {
    let id: NodeID
    var disk: SimDisk
    var core: RaftCore?
    var kv = SimKV()
    var incarnation = 0
    var paused = false
    var inbox: [Message] = []
    /// A Ready handed out and not yet persisted.
    var busy: Ready?
    var pendingWrites: [SimClientKey: Int] = [:]
    var pendingReads: [[UInt8]: SimPendingRead] = [:]
    var started = false

    var isUp: Bool { core != nil }
}

struct SimClientKey: Hashable {
    var client: UInt64
    var sequence: UInt64
}

/// A whole cluster of `RaftCore`s stepped in one plain loop from one seed, with a fake network and
/// fake disks. Every event is followed by the safety checks in `SimChecker`; the same seed replays the
/// same run (compare `trace.digest`).
struct Simulator {
    let seed: UInt64
    let options: SimOptions
    var random: SeededGenerator
    var now: UInt64 = 0
    var events = SimEventQueue()
    var nodes: [NodeID: SimNode] = [:]
    var network = SimNetwork()
    var clients: [SimClient] = []
    var checker = SimChecker()
    var trace: SimTrace
    var history = SimHistory()
    var faultsOn = true
    var clientsOn = true
    var stepsRun = 0

    var violations: [String] { checker.violations }

    init(seed: UInt64, options: SimOptions = SimOptions()) {
        self.seed = seed
        self.options = options
        random = SeededGenerator(seed: seed)
        trace = SimTrace(keepLines: options.keepTrace)
        let founders = (1...UInt64(options.voters)).map { $0 }
        for id in 1...UInt64(options.voters + options.spares) {
            let bootstrap = id <= UInt64(options.voters) ? PersistedState.bootstrap(voters: founders) : PersistedState()
            nodes[id] = SimNode(id: id, disk: SimDisk(bootstrap: bootstrap))
        }
        for id in founders { start(id) }
        for client in 0..<options.clients {
            clients.append(SimClient(id: client))
            events.schedule(.clientStart(client), at: UInt64(client) * 7 + 50)
        }
        if !options.faults.isEmpty { events.schedule(.fault, at: 500) }
    }

    var nodeIDs: [NodeID] { nodes.keys.sorted() }

    mutating func randomInt(_ upperBound: UInt64) -> UInt64 {
        upperBound == 0 ? 0 : random.next() % upperBound
    }

    mutating func chance(_ percent: UInt64) -> Bool { randomInt(100) < percent }

    // MARK: Running

    /// Runs the fault phase, then a fault-free settle phase, then the end-of-run liveness checks.
    mutating func run() {
        runUntil(options.durationMs)
        settle()
        runUntil(options.durationMs + options.settleMs)
        checkEndState()
    }

    mutating func runUntil(_ end: UInt64) {
        while let next = events.pop() {
            if next.time > end {
                events.schedule(next.event, at: next.time)
                break
            }
            now = next.time
            handle(next.event)
            stepsRun += 1
            if stepsRun % 500 == 0 { checker.checkLogMatching(liveCores(), at: now) }
            if !checker.violations.isEmpty { return }
        }
        now = end
    }

    func liveCores() -> [(NodeID, RaftCore)] {
        nodeIDs.compactMap { id in nodes[id]?.core.map { (id, $0) } }
    }

    mutating func handle(_ event: SimEvent) {
        switch event {
        case .tick(let id):
            events.schedule(.tick(id), at: now + options.tickMs)
            guard var node = nodes[id], node.isUp, !node.paused else { return }
            node.core!.tick()
            nodes[id] = node
            afterEvent(id)
        case .deliver(let message):
            deliver(message)
        case .persistDone(let id, let incarnation):
            finishPersist(id, incarnation: incarnation)
        case .clientStart(let client):
            startClientOperation(client)
        case .clientTimeout(let client, let attempt):
            clientTimedOut(client, attempt: attempt)
        case .fault:
            injectFault()
        case .resume(let id):
            resume(id)
        }
    }

    // MARK: Nodes

    mutating func start(_ id: NodeID) {
        guard var node = nodes[id], !node.isUp else { return }
        let persisted = node.disk.persisted
        node.kv = persisted.snapshot.map(SimKV.restore) ?? SimKV()
        var config = RaftConfig(id: id, seed: seed &+ UInt64(node.incarnation) &* 7919)
        config.electionTicks = options.electionTicks
        config.maxMessageBytes = 4096
        config.maxInflightMessages = 16
        config.maxUncommittedBytes = 1 << 20
        node.core = RaftCore(config: config, restoring: persisted, applied: node.kv.appliedIndex)
        node.busy = nil
        node.paused = false
        node.inbox = []
        node.pendingWrites = [:]
        node.pendingReads = [:]
        if !node.started {
            node.started = true
            events.schedule(.tick(id), at: now + 1 + randomInt(options.tickMs))
        }
        nodes[id] = node
        trace.record("\(now) start \(id) inc \(node.incarnation)")
        checker.observeDurable(node: id, hardState: persisted.hardState, at: now)
        afterEvent(id)
    }

    mutating func crash(_ id: NodeID) {
        guard var node = nodes[id], node.isUp else { return }
        if let busy = node.busy, options.faults.contains(.tornWrites), busy.snapshot == nil,
           !busy.entries.isEmpty, chance(50) {
            let kept = Int(randomInt(UInt64(busy.entries.count)))
            node.disk.writeTorn(entries: busy.entries, count: kept)
            trace.record("\(now) torn \(id) kept \(kept)/\(busy.entries.count)")
        }
        node.core = nil
        node.busy = nil
        node.paused = false
        node.incarnation += 1
        nodes[id] = node
        trace.record("\(now) crash \(id)")
    }

    mutating func deliver(_ message: Message) {
        guard network.allows(from: message.from, to: message.to), var node = nodes[message.to], node.isUp else { return }
        if node.paused {
            if node.inbox.count < 4096 { node.inbox.append(message) }
            nodes[message.to] = node
            return
        }
        trace.record("\(now) deliver \(message.kind) \(message.from)→\(message.to) t\(message.term) i\(message.index) n\(message.entries.count)")
        do {
            try node.core!.step(message)
        } catch {
            checker.fail("node \(message.to) rejected a message from a correct peer: \(error) \(message.kind)", at: now)
        }
        nodes[message.to] = node
        afterEvent(message.to)
    }

    /// Takes the next Ready of an idle node and starts persisting it.
    mutating func afterEvent(_ id: NodeID) {
        guard var node = nodes[id], let core = node.core else { return }
        checker.observe(node: id, core: core, incarnation: node.incarnation, appliedIndex: node.kv.appliedIndex, at: now)
        guard node.busy == nil, !node.paused, node.core!.hasReady else { return }
        let ready = node.core!.ready()
        node.busy = ready
        nodes[id] = node
        for message in ready.messages { send(message) }
        let latency = ready.needsPersist ? randomInt(3) : 0
        events.schedule(.persistDone(id, incarnation: node.incarnation), at: now + latency)
    }

    mutating func finishPersist(_ id: NodeID, incarnation: Int) {
        guard var node = nodes[id], node.incarnation == incarnation, let ready = node.busy else { return }
        if node.paused {
            // A stopped process does not finish its write until it runs again.
            events.schedule(.persistDone(id, incarnation: incarnation), at: now + options.tickMs)
            return
        }
        node.disk.write(hardState: ready.hardState, entries: ready.entries, snapshot: ready.snapshot)
        checker.observeDurable(node: id, hardState: node.disk.hardState, at: now)
        node.busy = nil
        node.core!.advance(ready)
        nodes[id] = node
        for message in ready.messagesAfterPersist { send(message) }
        apply(id, ready)
        afterEvent(id)
    }

    mutating func send(_ message: Message) {
        guard network.allows(from: message.from, to: message.to), !network.drops(&random) else { return }
        let delay = 1 + randomInt(options.maxDelayMs)
        events.schedule(.deliver(message), at: now + delay)
        if network.duplicates(&random) {
            events.schedule(.deliver(message), at: now + delay + 1 + randomInt(options.maxDelayMs))
        }
    }
}

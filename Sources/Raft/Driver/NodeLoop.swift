import Logging
import Synchronization

/// The one task that owns a node's `RaftCore` (the "driver" of Raft terminology).
///
/// Each turn: take every queued event and feed it to the core (many proposals, one batch), then carry
/// out one `Ready` in the order `Ready` prescribes: send `messages`; persist on the persist thread and
/// send `messagesAfterPersist` from there; `advance`; hand the snapshot and committed entries to the
/// apply thread. The apply thread reports back through the inbox, so applying batch k overlaps with
/// persisting batch k+1. `step` and `persist` never interleave because this task awaits each persist.
final class NodeLoop {
    let options: RaftNodeOptions
    let storage: any RaftStorage
    let transport: any Transport
    let inbox: EventInbox
    let statusBox: StatusCell
    let applier: Applier
    let persistQueue: BlockingQueue
    let applyQueue: BlockingQueue
    var logger: Logger

    var core: RaftCore
    var pending = PendingRequests()
    var softState: SoftState
    /// Highest index the apply thread reported applied; reads are served against it.
    var appliedIndex: UInt64
    /// Index of the latest snapshot this node holds (taken here or received).
    var snapshotIndex: UInt64
    /// Applied index at which the last snapshot was attempted; the next attempt waits an interval after it.
    var snapshotAttemptIndex: UInt64
    var snapshotInFlight = false
    /// Request ids and read contexts start at a random point so that a restarted node never matches an
    /// entry proposed by its previous incarnation to one of its new callers.
    var nextRequestID = UInt64.random(in: 1...(UInt64.max / 2))
    var nextReadContext = UInt64.random(in: 1...(UInt64.max / 2))
    /// Reads received this turn; they share one ReadIndex round.
    var newReads: [(reply: Reply<UInt64>, deadline: ContinuousClock.Instant)] = []
    /// The hard state known durable, and a newer one whose only change (the commit index) waits for the
    /// next write (see `persistableHardState`).
    var persistedHardState: HardState
    var deferredHardState: HardState?
    var stopWaiters: [CheckedContinuation<Void, Never>] = []
    var stopRequested = false
    var failure: RaftError?

    init(parts: RaftNode.Parts, core: RaftCore, applier: Applier, inbox: EventInbox, statusBox: StatusCell,
         persistQueue: BlockingQueue, applyQueue: BlockingQueue) {
        options = parts.options
        storage = parts.storage
        transport = parts.transport
        logger = parts.logger
        self.core = core
        self.applier = applier
        self.inbox = inbox
        self.statusBox = statusBox
        self.persistQueue = persistQueue
        self.applyQueue = applyQueue
        softState = core.softState
        persistedHardState = core.hardState
        appliedIndex = core.appliedIndex
        snapshotIndex = core.snapshotMetadata.index
        snapshotAttemptIndex = snapshotIndex
        logger[metadataKey: "raft.node"] = "\(core.id)"
        logger[metadataKey: "raft.term"] = "\(core.term)"
    }

    func run() async {
        var wakeups = inbox.wakeups.makeAsyncIterator()
        publishStatus(running: true)
        while failure == nil && !stopRequested {
            if !core.hasReady && newReads.isEmpty {
                // nil only after `close()`, which happens below this loop.
                guard await wakeups.next() != nil else { break }
            }
            let (events, tick) = inbox.take()
            for event in events { await handle(event) }
            if tick {
                core.tick()
                pending.expire(now: .now)
            }
            issueReads()
            if core.hasReady && failure == nil { await processReady() }
            pending.serveReads(appliedIndex: appliedIndex)
            maybeSnapshot()
            publishStatus(running: true)
        }
        await shutdown()
    }

    // MARK: Events

    private func handle(_ event: NodeEvent) async {
        switch event {
        case .transport(.message(let message)):
            do {
                try core.step(message)
            } catch {
                logger.debug("ignoring invalid message", metadata: ["raft.from": "\(message.from)",
                                                                     "raft.error": "\(error)"])
            }
        case .transport(.unreachable(let node)):
            core.reportUnreachable(node)
        case .transport(.snapshotStatus(let node, let succeeded)):
            core.reportSnapshot(to: node, succeeded: succeeded)
        case .propose(let request):
            propose(request)
        case .configChange(let change, let reply):
            proposeConfigChange(change, reply: reply)
        case .read(let reply):
            guard admit(reply) else { return }
            newReads.append((reply, deadline()))
        case .transfer(let target, let reply):
            transfer(to: target, reply: reply)
        case .applied(let report):
            applied(report)
        case .snapshotTaken(let result):
            await snapshotTaken(result)
        case .stop(let continuation):
            stopWaiters.append(continuation)
            stopRequested = true
        }
    }

    private func propose(_ request: ProposeRequest) {
        guard admit(request.reply) else { return }
        let requestID = nextRequestID
        nextRequestID &+= 1
        let envelope = ProposalEnvelope(client: request.client, sequence: request.sequence, origin: core.id,
                                        requestID: requestID, payload: request.data)
        do {
            try core.propose(envelope.encoded)
        } catch {
            request.reply.resume(returning: .failure(error))
            return
        }
        pending.addProposal(requestID, .init(reply: request.reply, deadline: deadline(), leader: core.leader))
    }

    private func proposeConfigChange(_ change: ConfigChange, reply: Reply<UInt64>) {
        guard admit(reply) else { return }
        do {
            let index = try core.proposeConfigChange(change)
            pending.addConfigChange(.init(index: index, change: change, reply: reply, deadline: deadline(),
                                          leader: core.leader))
        } catch {
            reply.resume(returning: .failure(error))
        }
    }

    private func transfer(to target: NodeID, reply: Reply<Void>) {
        guard admit(reply) else { return }
        if core.leader == target {
            reply.resume(returning: .success(()))
            return
        }
        guard core.leader != noNode else {
            reply.resume(returning: .failure(.noLeader))
            return
        }
        core.transferLeadership(to: target)
        pending.addTransfer(.init(target: target, reply: reply, deadline: deadline()))
    }

    /// Backpressure: refuses a request when too many already wait.
    private func admit<T>(_ reply: Reply<T>) -> Bool {
        guard pending.count + newReads.count < options.maxPendingRequests else {
            reply.resume(returning: .failure(.proposalDropped(
                "\(options.maxPendingRequests) requests are already waiting on node \(core.id)")))
            return false
        }
        return true
    }

    func deadline() -> ContinuousClock.Instant {
        .now + options.requestTimeout
    }

    // MARK: Reads

    /// Starts one ReadIndex round for every read received this turn.
    private func issueReads() {
        guard !newReads.isEmpty else { return }
        let readers = newReads
        newReads = []
        var writer = ByteWriter(capacity: 16)
        writer.append(core.id)
        writer.append(nextReadContext)
        nextReadContext &+= 1
        do {
            try core.readIndex(context: writer.bytes)
            pending.addReads(context: writer.bytes, readers: readers)
        } catch {
            for reader in readers { reader.reply.resume(returning: .failure(error)) }
        }
    }
}

import Logging
import Synchronization

/// Runs one Raft member on real time: a `RaftCore` driven by ticks, a `Transport`, durable `RaftStorage`
/// and a `StateMachine`.
///
/// One task (`NodeLoop`) owns the core and reads events from an inbox; storage writes run on a dedicated
/// persist thread and the state machine on a dedicated apply thread, never on Swift's cooperative pool.
/// Callers on any task use the async methods below; each waits at most `requestTimeout`. The owner MUST
/// call `stop()` when done (after `start()` returned): the run loop and timer hold the node alive.
///
/// Proposals are exactly-once per (client, sequence) through `ClientSessions`; their answers return to
/// the node that proposed them (the envelope names that node and a request id). A request fails early,
/// without waiting for its deadline, when the leader it went through is replaced: its outcome is then
/// unknown, and the caller retries with the same client and sequence number.
public final class RaftNode: Sendable {
    /// What the node is built from.
    struct Parts: Sendable {
        var options: RaftNodeOptions
        var storage: any RaftStorage
        var stateMachine: any StateMachine
        var transport: any Transport
        var logger: Logger
    }

    private enum Phase {
        case idle
        case starting
        case running(loop: Task<Void, Never>, timer: Task<Void, Never>)
        case stopped
    }

    /// This node's id.
    public let id: NodeID
    let parts: Parts
    let inbox = EventInbox()
    let statusBox: StatusCell
    private let phase = Mutex(Phase.idle)

    /// A node that does nothing until `start()`. `logger` gets the metadata `raft.node` and `raft.term`;
    /// the node logs at debug, except failures that stop it (error).
    public init(options: RaftNodeOptions, storage: any RaftStorage, stateMachine: any StateMachine,
                transport: any Transport, logger: Logger = Logger(label: "raft")) {
        id = options.id
        parts = Parts(options: options, storage: storage, stateMachine: stateMachine, transport: transport,
                      logger: logger)
        statusBox = StatusCell(RaftStatus(id: options.id))
    }

    /// Loads the stored state (bootstrapping it if asked and the storage is empty), brings the state
    /// machine to the stored snapshot, and starts the run loop, the tick timer and the transport.
    /// Throws what storage or the state machine throws; a node starts at most once.
    public func start() async throws(RaftError) {
        let mayStart = phase.withLock { phase in
            guard case .idle = phase else { return false }
            phase = .starting
            return true
        }
        guard mayStart else { throw .stopped }
        let persistQueue = BlockingQueue(label: "raft.node\(id).persist")
        let applyQueue = BlockingQueue(label: "raft.node\(id).apply")
        let applier = Applier(nodeID: id, stateMachine: parts.stateMachine,
                              sessionIdleEntries: parts.options.sessionIdleEntries,
                              maxSessions: parts.options.maxSessions, logger: parts.logger)
        let prepared: (PersistedState, UInt64)
        do {
            prepared = try await load(persistQueue: persistQueue, applyQueue: applyQueue, applier: applier)
        } catch {
            phase.withLock { $0 = .idle }
            throw error
        }
        let core = RaftCore(config: parts.options.core, restoring: prepared.0, applied: prepared.1)
        let loop = NodeLoop(parts: parts, core: core, applier: applier, inbox: inbox, statusBox: statusBox,
                            persistQueue: persistQueue, applyQueue: applyQueue)
        let inbox = inbox
        // Running as soon as start() returns, not once the loop task first gets a thread: a caller that
        // polls `status.isRunning` to notice a stopped node (pachd does) must not see the status of a
        // node that never started.
        loop.publishStatus(running: true)
        parts.transport.start { event in inbox.post(.transport(event)) }
        let loopTask = Task { await loop.run() }
        let interval = parts.options.tickInterval
        let timerTask = Task {
            // Ends with stop(), or by itself when the loop stopped after a failure.
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                if !inbox.postTick() { return }
            }
        }
        phase.withLock { $0 = .running(loop: loopTask, timer: timerTask) }
    }

    private func load(persistQueue: BlockingQueue, applyQueue: BlockingQueue,
                      applier: Applier) async throws(RaftError) -> (PersistedState, UInt64) {
        let (storage, voters) = (parts.storage, parts.options.bootstrapVoters)
        let loaded = await persistQueue.run { () -> Result<PersistedState, RaftError> in
            do throws(RaftError) {
                let state = try storage.load()
                guard state.isEmpty, let voters else { return .success(state) }
                let founding = PersistedState.bootstrap(voters: voters)
                try storage.persist(hardState: founding.hardState, entries: founding.entries, snapshot: nil)
                return .success(founding)
            } catch {
                return .failure(error)
            }
        }
        let state = try loaded.get()
        let applied = await applyQueue.run { () -> Result<UInt64, RaftError> in
            do throws(RaftError) { return .success(try applier.prepare(restoring: state)) } catch {
                return .failure(error)
            }
        }
        return (state, try applied.get())
    }

    /// Stops gracefully: waiting requests fail with `stopped`, what was handed to the state machine is
    /// applied, the transport stops. Returns once the state machine and storage are no longer used.
    public func stop() async {
        let running = phase.withLock { phase -> (Task<Void, Never>, Task<Void, Never>)? in
            guard case .running(let loop, let timer) = phase else {
                if case .idle = phase { phase = .stopped }
                return nil
            }
            phase = .stopped
            return (loop, timer)
        }
        guard let (loop, timer) = running else { return }
        await withCheckedContinuation { continuation in
            if inbox.post(.stop(continuation)) != nil { continuation.resume() }
        }
        await loop.value
        timer.cancel()
    }

    /// True between the start of `start()` and `stop()`: requests posted then reach the run loop.
    var isAcceptingRequests: Bool {
        phase.withLock { phase in
            switch phase {
            case .starting, .running: return true
            case .idle, .stopped: return false
            }
        }
    }

    /// The node's state as of the end of its run loop's latest turn.
    public var status: RaftStatus {
        statusBox.value
    }
}

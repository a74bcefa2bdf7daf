#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Jobs
import Logging
import Raft
import Synchronization

/// Runs a node from start to exit: serve (peer, API and, when configured, metrics), start Raft, announce,
/// wait for a signal (or a fatal Raft stop), then stop gracefully.
enum NodeRuntime {
    /// Why the node stops.
    enum StopReason: Sendable, Equatable {
        case signal(Int32)
        /// The Raft node stopped by itself (a storage or state-machine failure).
        case raftFailed
    }

    /// Runs `assembly` until it is told to stop; returns the process exit status (0 after a signal,
    /// 1 when Raft failed or a server could not start).
    static func run(_ assembly: NodeAssembly) async throws -> Int32 {
        let logger = assembly.logger
        let signals = SignalWatcher([SIGTERM, SIGINT, SIGHUP])
        // The datums' inputs as FUSE views (or nil: copies), mounted for the node's life.
        let views = assembly.context.files.flatMap { files in
            DatumViews.make(choice: assembly.config.datumInputs, jobs: assembly.config.jobsDirectory, trees: files.trees,
                            logger: NodeAssembly.logger("pachd.jobs", like: assembly.logger)) { try await files.read($0) }
        }
        defer { views?.unmount() }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await assembly.peerServer.serve() }
            group.addTask { try await assembly.apiServer.serve() }
            let peerBound = try await bound(assembly.peerServer, assembly.config.peerAddress, flag: "--peer-address",
                                            group: &group)
            let apiBound = try await bound(assembly.apiServer, assembly.config.apiAddress, flag: "--api-address",
                                           group: &group)
            let metricsServer = try await serveMetrics(assembly, group: &group)
            do { try await assembly.raft.start() } catch {
                throw ConfigError("raft could not start: \(error)")
            }
            try assembly.recordIdentityIfNew()
            // Membership duties (self-registration; on the leader, promotion and liveness) and, for a
            // node started with --join, asking to be admitted. Both end when the group is cancelled.
            group.addTask { await assembly.membership.runDuties() }
            // The leader's repair passes (a no-op on followers).
            group.addTask { await assembly.chunks.runRepair() }
            group.addTask { await assembly.chunks.runScrub() }
            if let files = assembly.context.files {
                group.addTask { await assembly.chunks.runGC(trees: files.trees) }
                // Pipelines: the coordinator on the leader, this node's worker everywhere.
                let jobs = NodeJobs(context: assembly.context, chunks: assembly.chunks, storage: files,
                                    slots: assembly.config.workerSlots,
                                    logger: NodeAssembly.logger("pachd.jobs", like: assembly.logger))
                let runtime = await JobRuntimeChoice.choose(assembly.config.runtime, scratch: assembly.config.jobsDirectory,
                                                           logger: jobs.logger)
                group.addTask { await jobs.run(runtime: runtime, scratch: assembly.config.jobsDirectory, views: views) }
            }
            if assembly.config.join { group.addTask { await assembly.membership.joinCluster() } }
            let metricsBound = metricsServer.map { " metrics \($0.address)" } ?? ""
            announce("pachd node \(assembly.config.id) serving api \(apiBound) peer \(peerBound)\(metricsBound)")
            var serving: Logger.Metadata = ["node.api": "\(apiBound)", "node.peer": "\(peerBound)"]
            if let metricsServer { serving["node.metrics"] = "\(metricsServer.address)" }
            logger.info("serving", metadata: serving)
            let reason = await firstStopReason(signals: signals.events, raft: assembly.raft, logger: logger)
            let phase = StopPhase(logger: logger)
            let watchdog = phase.watch(deadline: stopDeadline)
            await stop(assembly, reason: reason, phase: phase)
            metricsServer?.close()
            // Peers keep their streams to us open forever: cancel the servers rather than wait for them.
            phase.enter("ending the servers and background tasks")
            group.cancelAll()
            try? await group.waitForAll()
            watchdog.cancel()
            logger.info("stopped", metadata: ["node.stop_ms": "\(phase.elapsedMilliseconds)"])
            return reason == .raftFailed ? 1 : 0
        }
    }

    /// The address `server` bound. When it could not bind, the failed `serve()` in `group` holds the
    /// reason ("address already in use"), which is worth more than "no listening address".
    private static func bound(_ server: NodeServers.Server, _ configured: HostPort, flag: String,
                              group: inout ThrowingTaskGroup<Void, any Error>) async throws -> HostPort {
        do { return try await NodeServers.boundAddress(of: server, configured: configured) } catch {
            var cause: any Error = error
            do { try await group.next() } catch { cause = error }
            throw ConfigError("\(flag): cannot listen on \(configured): \(PeerLink.describe(cause))")
        }
    }

    /// Binds the Prometheus endpoint on `config.metricsAddress` and serves it in `group` (nil when no
    /// address is configured). A scrape samples the Raft status at that moment. A port that cannot be
    /// bound fails startup like the other servers.
    private static func serveMetrics(_ assembly: NodeAssembly,
                                     group: inout ThrowingTaskGroup<Void, any Error>) async throws -> MetricsServer? {
        guard let address = assembly.config.metricsAddress else { return nil }
        let (metrics, raft) = (assembly.metrics, assembly.raft)
        let endpoint = MetricsEndpoint { metrics.exposition(sampling: raft.status) }
        let server: MetricsServer
        do {
            server = try await MetricsServer.bind(to: address, endpoint: endpoint,
                                                  logger: NodeAssembly.logger("pachd.metrics", like: assembly.logger))
        } catch {
            let cause = MetricsServer.describe(bindError: error)
            throw ConfigError("--metrics-address: cannot listen on \(address): \(cause)")
        }
        group.addTask { await server.run() }
        return server
    }

    /// The first stop signal or Raft's own stop. A second SIGTERM/SIGINT during the graceful stop exits
    /// at once (an operator who presses ^C twice means it); SIGHUP is reserved and only logged.
    static func firstStopReason(signals: AsyncStream<Int32>, raft: RaftNode, logger: Logger) async -> StopReason {
        let (reasons, continuation) = AsyncStream<StopReason>.makeStream()
        Task {
            var stopsRequested = 0
            for await number in signals {
                if number == SIGHUP {
                    logger.info("SIGHUP received; reserved, no effect")
                    continue
                }
                stopsRequested += 1
                if stopsRequested > 1 {
                    logger.warning("second stop signal; exiting without a graceful stop")
                    exit(1)
                }
                logger.info("stop requested", metadata: ["node.signal": "\(SignalWatcher.name(number))"])
                continuation.yield(.signal(number))
            }
        }
        Task {
            while raft.status.isRunning { try? await Task.sleep(for: .milliseconds(250)) }
            continuation.yield(.raftFailed)
        }
        for await reason in reasons { return reason }
        return .raftFailed
    }

    /// How long a graceful stop may take before the process exits anyway (cluster.sh waits 15 s).
    static let stopDeadline = Duration.seconds(10)

    /// The graceful stop: stop taking client calls, hand leadership over, stop Raft (which stops the
    /// transport), close connections and storage.
    static func stop(_ assembly: NodeAssembly, reason: StopReason, phase: StopPhase) async {
        if reason == .raftFailed {
            assembly.logger.critical("the raft node stopped by itself; shutting down",
                                     metadata: ["raft.status": "\(assembly.raft.status)"])
        }
        assembly.apiServer.beginGracefulShutdown()
        if reason != .raftFailed {
            phase.enter("handing leadership over")
            await GracefulShutdown.handOffLeadership(raft: assembly.raft, peers: assembly.transport,
                                                     logger: assembly.logger)
        }
        phase.enter("stopping raft (its last writes and applies)")
        await assembly.raft.stop()
        assembly.peerServer.beginGracefulShutdown()
        phase.enter("closing peer connections")
        await assembly.transport.shutdown()
        phase.enter("stopping the chunk store's work")
        await assembly.chunks.shutdown()
        phase.enter("closing storage")
        assembly.storage.close()
    }

    /// The one line a script waits for, flushed at once (stdout is a pipe under cluster.sh).
    static func announce(_ line: String) {
        var standardOutput = FileDescriptorStream(descriptor: 1)
        print(line, to: &standardOutput)
    }
}

/// Where a graceful stop is, so that one that hangs says where. After `deadline` the watchdog exits the
/// process: everything acknowledged is already on disk (Raft and the chunk store fsync before they
/// answer), so exiting mid-stop is no worse than a crash, which both recover from; hanging on is worse
/// for an operator (and a supervisor) who asked the node to stop.
final class StopPhase: Sendable {
    private let logger: Logger
    private let started = ContinuousClock.now
    private let current = Mutex("beginning")

    init(logger: Logger) {
        self.logger = logger
    }

    func enter(_ name: String) {
        let previous = current.withLock { phase in
            defer { phase = name }
            return phase
        }
        logger.debug("graceful stop", metadata: ["node.stop_phase": "\(name)", "node.stop_after": "\(previous)",
                                                 "node.stop_ms": "\(elapsedMilliseconds)"])
    }

    var elapsedMilliseconds: Int64 {
        let (seconds, attoseconds) = (ContinuousClock.now - started).components
        return seconds * 1_000 + attoseconds / 1_000_000_000_000_000
    }

    /// Exits the process when the stop is still running after `deadline`; cancel it once done.
    func watch(deadline: Duration) -> Task<Void, Never> {
        Task.detached { [self] in
            try? await Task.sleep(for: deadline)
            guard !Task.isCancelled else { return }
            let phase = current.withLock { $0 }
            logger.error("the graceful stop is still \(phase) after \(deadline); exiting without finishing it",
                         metadata: ["node.stop_ms": "\(elapsedMilliseconds)"])
            exit(1)
        }
    }
}

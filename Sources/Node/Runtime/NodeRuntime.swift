#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import Raft

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
            }
            if assembly.config.join { group.addTask { await assembly.membership.joinCluster() } }
            let metricsBound = metricsServer.map { " metrics \($0.address)" } ?? ""
            announce("pachd node \(assembly.config.id) serving api \(apiBound) peer \(peerBound)\(metricsBound)")
            var serving: Logger.Metadata = ["node.api": "\(apiBound)", "node.peer": "\(peerBound)"]
            if let metricsServer { serving["node.metrics"] = "\(metricsServer.address)" }
            logger.info("serving", metadata: serving)
            let reason = await firstStopReason(signals: signals.events, raft: assembly.raft, logger: logger)
            await stop(assembly, reason: reason)
            metricsServer?.close()
            // Peers keep their streams to us open forever: cancel the servers rather than wait for them.
            group.cancelAll()
            try? await group.waitForAll()
            logger.info("stopped")
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

    /// The graceful stop: stop taking client calls, hand leadership over, stop Raft (which stops the
    /// transport), close connections and storage.
    static func stop(_ assembly: NodeAssembly, reason: StopReason) async {
        if reason == .raftFailed {
            assembly.logger.critical("the raft node stopped by itself; shutting down",
                                     metadata: ["raft.status": "\(assembly.raft.status)"])
        }
        assembly.apiServer.beginGracefulShutdown()
        if reason != .raftFailed {
            await GracefulShutdown.handOffLeadership(raft: assembly.raft, peers: assembly.transport,
                                                     logger: assembly.logger)
        }
        await assembly.raft.stop()
        assembly.peerServer.beginGracefulShutdown()
        await assembly.transport.shutdown()
        await assembly.chunks.shutdown()
        assembly.storage.close()
    }

    /// The one line a script waits for, flushed at once (stdout is a pipe under cluster.sh).
    static func announce(_ line: String) {
        var standardOutput = FileDescriptorStream(descriptor: 1)
        print(line, to: &standardOutput)
    }
}

import Foundation
import Logging
import Raft

// raft-bench: throughput, latency and failover of three RaftNodes in one process over an
// InMemoryTransport, each with DiskStorage (real fsync) in a temporary directory.
// Run it through `scripts/bench.sh raft` (release build). Flags: see BenchOptions.usage.

struct ThroughputResult {
    var proposers: Int
    var proposals: Int
    var errors: Int
    var perSecond: Double
    var latency: LatencyStats
    var syncsPerProposal: Double
}

/// Proposes `entryBytes`-byte entries through the leader from `proposers` concurrent clients (each one
/// proposal at a time, as a session requires) for `duration`.
func measureThroughput(_ cluster: BenchCluster, proposers: Int, options: BenchOptions,
                       phase: UInt64) async throws -> ThroughputResult {
    let leader = try await cluster.waitForSteadyLeader()
    let node = cluster.node(leader)
    let payload = (0..<options.entryBytes).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
    let syncsBefore = cluster.syncCount(leader)
    let started = ContinuousClock.now
    let deadline = started + options.duration
    let (proposals, errors, latency) = await withTaskGroup(of: (Int, Int, LatencyStats).self) { group in
        for proposer in 0..<proposers {
            let client = ClientID(high: phase, low: UInt64(proposer + 1))
            group.addTask {
                var (count, errors, stats, sequence) = (0, 0, LatencyStats(), UInt64(1))
                while ContinuousClock.now < deadline {
                    let sent = ContinuousClock.now
                    do {
                        _ = try await node.propose(payload, client: client, sequence: sequence)
                        stats.record(ContinuousClock.now - sent)
                        count += 1
                        sequence += 1
                    } catch {
                        errors += 1
                        try? await Task.sleep(for: .milliseconds(5))
                    }
                }
                return (count, errors, stats)
            }
        }
        var total = (0, 0, LatencyStats())
        for await (count, errors, stats) in group {
            total.0 += count
            total.1 += errors
            total.2.merge(stats)
        }
        return total
    }
    let elapsedSeconds = (ContinuousClock.now - started).milliseconds / 1_000
    let syncs = cluster.syncCount(leader) - syncsBefore
    return ThroughputResult(proposers: proposers, proposals: proposals, errors: errors,
                            perSecond: Double(proposals) / elapsedSeconds, latency: latency,
                            syncsPerProposal: proposals > 0 ? Double(syncs) / Double(proposals) : 0)
}

/// Kills the leader and measures the time until a proposal through a surviving node commits; then
/// restarts the killed node from its disk and waits for it to catch up before the next trial.
func measureFailover(_ cluster: BenchCluster, trials: Int, log: (String) -> Void) async throws -> LatencyStats {
    var stats = LatencyStats()
    for trial in 1...trials {
        let leader = try await cluster.waitForSteadyLeader()
        // Kill at a random point of the heartbeat cycle, as a crash would.
        try await Task.sleep(for: .milliseconds(200 + Int.random(in: 0..<100)))
        let survivors = cluster.ids.filter { $0 != leader }
        let killed = ContinuousClock.now
        await cluster.kill(leader)
        let elapsed = await firstCommit(cluster, through: survivors, trial: UInt64(trial)) - killed
        stats.record(elapsed)
        log("failover trial \(trial): leader \(leader) killed, first commit after \(format(elapsed.milliseconds)) ms")
        try await cluster.startNode(leader)
    }
    _ = try await cluster.waitForSteadyLeader()
    return stats
}

/// Every survivor proposes in a loop, retrying at once on errors; returns when the first one commits.
/// (A proposal forwarded to the dead leader fails as soon as its node sees the leader change.)
func firstCommit(_ cluster: BenchCluster, through survivors: [NodeID],
                 trial: UInt64) async -> ContinuousClock.Instant {
    await withTaskGroup(of: ContinuousClock.Instant.self) { group in
        for survivor in survivors {
            let node = cluster.node(survivor)
            let client = ClientID(high: 0xFA11, low: trial << 8 | survivor)
            group.addTask {
                while true {
                    if (try? await node.propose([1, 2, 3], client: client, sequence: 1)) != nil {
                        return ContinuousClock.now
                    }
                    try? await Task.sleep(for: .milliseconds(2))
                }
            }
        }
        let first = await group.next()!
        group.cancelAll()
        return first
    }
}

func run() async throws {
    let options = try BenchOptions.parse(CommandLine.arguments)
    var logger = Logger(label: "raft-bench")
    logger.logLevel = .warning
    let root = "\(options.directory)/raft-bench-\(UInt64.random(in: 0...UInt64.max))"
    defer { try? FileManager.default.removeItem(atPath: root) }
    let progress: (String) -> Void = { line in
        if !options.json { FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }
    progress("raft-bench: 3 nodes in one process, InMemoryTransport, DiskStorage (fsync) under \(root)")
    let cluster = BenchCluster(root: root, logger: logger)
    try await cluster.start()
    var results: [ThroughputResult] = []
    for (phase, proposers) in options.proposerCounts.enumerated() {
        let result = try await measureThroughput(cluster, proposers: proposers, options: options,
                                                 phase: UInt64(phase + 1))
        progress("throughput with \(proposers) proposers: \(format(result.perSecond)) proposals/s")
        results.append(result)
    }
    let failover = try await measureFailover(cluster, trials: options.trials, log: progress)
    await cluster.stopAll()
    print(options.json ? jsonReport(results, failover: failover, options: options)
        : tableReport(results, failover: failover))
}

do {
    try await run()
} catch {
    FileHandle.standardError.write(Data("raft-bench: \(error)\n".utf8))
    exit(1)
}

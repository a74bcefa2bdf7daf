import Foundation
import Testing
@testable import Linearizability

/// How long and how hard a chaos run goes; CI runs the defaults, `scripts/chaos.sh` sets the rest.
struct ChaosSettings: Sendable, CustomStringConvertible {
    var seconds = 40
    // Seed 1853 draws five kinds in 40 s: a disk filled, the leader paused, lossy links, the leader
    // partitioned, the leader killed.
    var seed: UInt64 = 1853
    var nodes = 3
    var clients = 3
    var faults = Nemesis.Fault.allCases
    /// Each node's own disk (`cluster.sh up --disk-mib`), which the fill fault fills.
    var diskMiB = 1_024
    /// Where the summary goes too (scripts/chaos.sh reads it), besides stdout.
    var summaryPath: String?

    static func fromEnvironment() throws -> ChaosSettings {
        let environment = ProcessInfo.processInfo.environment
        var settings = ChaosSettings()
        func number(_ name: String, _ range: ClosedRange<Int>) throws -> Int? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            guard let value = Int(text), range.contains(value) else {
                throw HarnessError("\(name)=\(text): expected a number in \(range)")
            }
            return value
        }
        settings.seconds = try number("CHAOS_SECONDS", 10...86_400) ?? settings.seconds
        settings.seed = UInt64(try number("CHAOS_SEED", 0...Int.max) ?? Int(settings.seed))
        settings.nodes = try number("CHAOS_NODES", 3...7) ?? settings.nodes
        settings.clients = try number("CHAOS_CLIENTS", 1...16) ?? settings.clients
        settings.diskMiB = try number("CHAOS_DISK_MIB", 256...1_048_576) ?? settings.diskMiB
        if let names = environment["CHAOS_FAULTS"], !names.isEmpty {
            settings.faults = try names.split(separator: ",").map { name in
                guard let fault = Nemesis.Fault.named(String(name)) else {
                    throw HarnessError("CHAOS_FAULTS: unknown fault \(name); known: kill-leader, kill-random, pause-leader, partition-leader, isolate, loss, restart, member, fill")
                }
                return fault
            }
        }
        settings.summaryPath = environment["CHAOS_SUMMARY"]
        return settings
    }

    var description: String {
        "seed \(seed), \(nodes) nodes on \(diskMiB) MiB disks, \(clients) clients, \(seconds) s of faults (\(faults.map(\.rawValue).joined(separator: "; ")))"
    }
}

extension IntegrationTests {
    /// Concurrent clients against random nodes of a `--netns --disk-mib` cluster while a seeded nemesis
    /// kills, pauses, partitions, isolates and degrades nodes and fills their disks; then, healed, every
    /// acknowledged write must be there. CI runs a short run; `scripts/chaos.sh long` runs for as long as asked.
    @Suite("Chaos", .enabled(if: ScriptedCluster.disksSkipReason == nil, "\(ScriptedCluster.disksSkipReason ?? "")"))
    struct Chaos {
        @Test("under mixed faults nothing acknowledged is lost, all nodes agree, and the history is linearizable")
        func mixedFaultsLoseNothing() async throws {
            let settings = try ChaosSettings.fromEnvironment()
            print("chaos: \(settings)")
            try await ScriptedCluster.with { cluster in
                let nodes = Array(1...settings.nodes)
                try await cluster.scriptOK(["up", String(settings.nodes), "--netns", "--disk-mib", String(settings.diskMiB)],
                                           timeout: .seconds(180))
                _ = try await cluster.waitForLeader(among: nodes)
                try await cluster.pachctlOK(["create", "repo", ChaosClient.repo], via: nodes)
                let history = ChaosHistory()
                // Every key exists before the run, so that "not found" can only mean "deleted".
                var setup = try ChaosClient(id: 0, seed: settings.seed, cluster: cluster, nodes: nodes, history: history)
                for key in ChaosClient.keys { try await setup.put(key, via: nodes) }
                #expect(history.counts.unknown == 0, "the set-up writes failed before any fault")

                let deadline = ContinuousClock.now + .seconds(settings.seconds)
                let nemesisTask = Task {
                    var nemesis = Nemesis(cluster: cluster, nodes: nodes, kinds: settings.faults, seed: settings.seed)
                    try await nemesis.run(until: deadline, clock: history)
                    return nemesis
                }
                await withTaskGroup(of: Void.self) { group in
                    for id in 1...settings.clients {
                        guard let client = try? ChaosClient(id: id, seed: settings.seed, cluster: cluster, nodes: nodes, history: history)
                        else { continue }
                        group.addTask {
                            var running = client
                            await running.run(until: deadline)
                        }
                    }
                }
                let nemesis = try await nemesisTask.value

                // Healed: no fault is left (the nemesis undoes each one), every node must be running.
                try await cluster.scriptOK(["heal"])
                var violations = history.violations
                violations += ChaosChecks.allRunning(cluster: cluster, nodes: nodes)
                for k in nodes where !cluster.isRunning(k) { _ = try? await cluster.script(["restart", String(k)]) }
                _ = try await cluster.waitForLeader(among: nodes, timeout: .seconds(60))
                violations += ChaosChecks.linearizable(history)
                violations += try await ChaosChecks.acknowledgedFiles(history, cluster: cluster, nodes: nodes)
                violations += try await ChaosChecks.sameMetadataEverywhere(history, cluster: cluster, nodes: nodes)
                violations += try await ChaosChecks.replicated(cluster: cluster, nodes: nodes, timeout: .seconds(120))

                let summary = Self.summary(settings, history, nemesis, violations)
                print(summary)
                if let path = settings.summaryPath { try? summary.write(toFile: path, atomically: true, encoding: .utf8) }
                #expect(violations.isEmpty, "\(violations.count) violations:\n\(violations.joined(separator: "\n"))")
                #expect(history.counts.acknowledged > settings.clients, "the clients got almost nothing through: \(history.counts)")
            }
        }

        static func summary(_ settings: ChaosSettings, _ history: ChaosHistory, _ nemesis: Nemesis, _ violations: [String]) -> String {
            let counts = history.counts
            let faults = nemesis.injected.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.value) × \($0.key.rawValue)" }
            return """
                chaos summary (\(settings))
                  operations: \(counts.calls) (\(counts.acknowledged) acknowledged, \(counts.unknown) unknown outcome)
                  faults injected: \(nemesis.injected.values.reduce(0, +)) (\(faults.joined(separator: ", ")))
                  checked: \(history.operations.count) register calls for linearizability, \(history.files.count) acknowledged file versions on each of \(settings.nodes) nodes, \(history.branches.count) acknowledged branches, commit graph and heads on every node, replication
                  violations: \(violations.count)
                fault log:
                \(nemesis.log.map { "  " + $0 }.joined(separator: "\n"))
                """
        }
    }
}

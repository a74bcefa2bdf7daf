import Foundation
@testable import Linearizability

/// Injects one fault at a time into a `--netns --disk-mib` cluster through `scripts/cluster.sh`, holds it, undoes
/// it, and rests, until the deadline; the choices come from the seed.
struct Nemesis {
    enum Fault: String, CaseIterable, Sendable {
        case killLeader = "kill -9 the leader"
        case killRandom = "kill -9 a random node"
        case pauseLeader = "SIGSTOP the leader"
        case partitionLeader = "partition the leader into a minority"
        case isolateRandom = "isolate a random node"
        case lossyLinks = "drop 30% of a random node's packets"
        case restartRandom = "restart a random node (SIGTERM, start)"
        case addRemoveMember = "add a member (learner, then voter), then remove it"
        case fillDisk = "fill a random node's disk"

        /// CHAOS_FAULTS names: kill-leader, kill-random, pause-leader, partition-leader, isolate, loss, restart,
        /// member, fill.
        static func named(_ name: String) -> Fault? {
            switch name {
            case "kill-leader": .killLeader
            case "kill-random": .killRandom
            case "pause-leader": .pauseLeader
            case "partition-leader": .partitionLeader
            case "isolate": .isolateRandom
            case "loss": .lossyLinks
            case "restart": .restartRandom
            case "member": .addRemoveMember
            case "fill": .fillDisk
            default: nil
            }
        }
    }

    let cluster: ScriptedCluster
    let nodes: [Int]
    let kinds: [Fault]
    var random: SeededRandom
    /// One line per fault: when, what, on which node.
    private(set) var log: [String] = []
    private(set) var injected: [Fault: Int] = [:]
    /// Nodes this nemesis killed or stopped on purpose (any other node that dies has crashed).
    private(set) var killed: Set<Int> = []
    /// The number the next added member gets (cluster.sh never reuses one).
    private var nextMember: Int

    init(cluster: ScriptedCluster, nodes: [Int], kinds: [Fault], seed: UInt64) {
        self.cluster = cluster
        self.nodes = nodes
        self.kinds = kinds
        random = SeededRandom(seed: seed ^ 0xA076_1D64_78BD_642F)
        nextMember = (nodes.max() ?? 0) + 1
    }

    mutating func run(until deadline: ContinuousClock.Instant, clock history: ChaosHistory) async throws {
        while ContinuousClock.now + .seconds(8) < deadline {
            try await Task.sleep(for: .milliseconds(1000 + Int(random.next() % 2000)))
            let fault = kinds[Int(random.next() % UInt64(kinds.count))]
            let hold = Duration.milliseconds(2000 + Int(random.next() % 4000))
            let leader = await cluster.currentLeader(asking: nodes.filter(cluster.isRunning))
            let victim = fault == .addRemoveMember ? nextMember : fault.targetsLeader ? (leader ?? pick()) : pick()
            let others = nodes.filter { $0 != victim }.map(String.init).joined(separator: ",")
            let seconds = String(format: "%.1f", Double(history.now()) / 1e9)
            log.append("t=\(seconds)s \(fault.rawValue): node \(victim)\(fault.targetsLeader && leader == nil ? " (no leader known)" : "")")
            injected[fault, default: 0] += 1
            switch fault {
            case .killLeader, .killRandom:
                killed.insert(victim)
                try await cluster.scriptOK(["kill", String(victim)])
                try await Task.sleep(for: hold)
                try await cluster.scriptOK(["restart", String(victim)])
            case .pauseLeader:
                try await cluster.scriptOK(["pause", String(victim)])
                try await Task.sleep(for: hold)
                try await cluster.scriptOK(["resume", String(victim)])
            case .partitionLeader:
                try await cluster.scriptOK(["partition", "\(victim)|\(others)"])
                try await Task.sleep(for: hold)
                try await cluster.scriptOK(["heal"])
            case .isolateRandom:
                try await cluster.scriptOK(["isolate", String(victim)])
                try await Task.sleep(for: hold)
                try await cluster.scriptOK(["heal"])
            case .lossyLinks:
                try await cluster.scriptOK(["slow", String(victim), "loss", "30%"])
                try await Task.sleep(for: hold)
                try await cluster.scriptOK(["heal"])
            case .restartRandom:
                killed.insert(victim)
                try await cluster.scriptOK(["restart", String(victim)])
            case .addRemoveMember:
                nextMember += 1
                try await cluster.scriptOK(["add"], timeout: .seconds(120))
                try await Task.sleep(for: hold)
                try await cluster.scriptOK(["remove", String(victim)], timeout: .seconds(120))
            case .fillDisk:
                try await cluster.scriptOK(["fill", String(victim)])
                try await Task.sleep(for: hold)
                try await cluster.scriptOK(["heal"])
            }
        }
    }

    private mutating func pick() -> Int { nodes[Int(random.next() % UInt64(nodes.count))] }
}

extension Nemesis.Fault {
    var targetsLeader: Bool { self == .killLeader || self == .pauseLeader || self == .partitionLeader }
}

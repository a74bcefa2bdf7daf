import Foundation
import Testing
@testable import Replication

/// A seeded run of the whole replicated store: five members with real stores, the writer, reader,
/// repairer and scrub, driven one step at a time in a plain loop (no concurrency between steps, so a seed
/// replays the same run) through member crashes and returns, disk corruption and writes with stale
/// liveness, with checks after every step and at the end.
///
/// Fault budget: at most R - 1 members down at a time, and a copy is only corrupted while the chunk has
/// another copy somewhere (a lost chunk would be the test's doing, not the code's). Under that budget
/// nothing acknowledged may be lost, a pass with no failures leaves every chunk on all its live targets,
/// and once every member is back, passes settle with exactly R good copies of every chunk on its replicas.
final class ReplicationSimulation {
    let seed: UInt64
    let cluster: TestCluster
    let policy = ReplicationPolicy()
    private var generator: SplitMix64
    private let writer: ChunkWriter
    private let repairer: Repairer
    /// The bytes of every acknowledged chunk.
    private(set) var acknowledged: [ChunkID: [UInt8]] = [:]
    /// What happened, one line a step, for failure messages.
    private(set) var trace: [String] = []
    private(set) var violations: [String] = []
    private var down: Set<MemberID> = []

    init(seed: UInt64) async throws {
        self.seed = seed
        generator = SplitMix64(seed: seed)
        cluster = try await TestCluster.make(5)
        writer = ChunkWriter(peers: cluster.peers, policy: policy)
        repairer = Repairer(peers: cluster.peers, policy: policy, bytesPerSecond: 1 << 30, clock: VirtualTime().clock,
                            listPageSize: 50)
    }

    private var members: [MemberID] { cluster.members }
    private var up: [MemberID] { members.filter { !down.contains($0) } }
    private var maxDown: Int { policy.replicationFactor - 1 }

    private func random(_ bound: Int) -> Int { Int(generator.next() % UInt64(bound)) }
    private func pick<T>(_ values: [T]) -> T { values[random(values.count)] }

    private func violation(_ message: String) {
        violations.append("\(message) [REPL_SEED=\(seed); last steps: \(trace.suffix(8).joined(separator: " | "))]")
    }

    /// The scenario: an initial write, `rounds` random steps, then every member back and repair until settled.
    func run(rounds: Int) async throws {
        try await write(count: 150, live: members)
        for _ in 0..<rounds {
            switch random(10) {
            case 0, 1: crash()
            case 2, 3: restart()
            case 4, 5: try await corrupt()
            case 6: try await write(count: 20, live: up)
            case 7: try await write(count: 10, live: members)  // stale liveness: down members included
            case 8: await repair()
            default: await read()
            }
            checkNothingLost()
            if violations.count > 5 { return }
        }
        down = []
        cluster.peers.setFaults { $0.down = [] }
        trace.append("all members up")
        var settled = false
        for _ in 0..<6 where !settled {
            settled = await repair().isSettled
        }
        if !settled { violation("repair did not settle in 6 passes with every member up") }
        try await checkFinal()
    }

    // MARK: Steps

    private func crash() {
        guard down.count < maxDown, let member = up.isEmpty ? nil : pick(up) else { return }
        down.insert(member)
        cluster.peers.setFaults { [down] in $0.down = down }
        trace.append("crash \(member)")
    }

    private func restart() {
        guard !down.isEmpty else { return }
        let member = pick(down.sorted())
        down.remove(member)
        cluster.peers.setFaults { [down] in $0.down = down }
        trace.append("restart \(member)")
    }

    /// Writes `count` new chunks with `live` as the writer's view; checks the outcome against what the
    /// faults allow: refused exactly when some chunk has fewer than W working replicas.
    private func write(count: Int, live: [MemberID]) async throws {
        let dataSeed = generator.next()
        let batch = try await offPool { () -> [(ChunkFrame, [UInt8])] in
            var generator = SplitMix64(seed: dataSeed)
            return (0..<count).map { index in
                let size = 100 + Int(generator.next() % 3_000)
                let data = index % 2 == 0 ? TestData.text(size, seed: generator.next()) : TestData.random(size, seed: generator.next())
                return (ChunkFrame(encoding: data), data)
            }
        }
        let frames = batch.map(\.0)
        let replicaCount = policy.replicaCount(liveCount: live.count)
        let quorum = policy.writeQuorum(liveCount: live.count) ?? Int.max
        let expectAccepted = frames.allSatisfy { frame in
            Placement.replicas(for: frame.id, members: live, count: replicaCount).filter { !down.contains($0) }.count >= quorum
        }
        do throws(ReplicationError) {
            let receipts = try await writer.write(frames, live: live)
            if !expectAccepted { violation("a write was acknowledged with fewer than W working replicas") }
            for (receipt, (frame, data)) in zip(receipts, batch) {
                let replicas = Placement.replicas(for: frame.id, members: live, count: replicaCount)
                if receipt.holders != replicas.filter({ !down.contains($0) }) || receipt.missing != replicas.filter(down.contains) {
                    violation("receipt \(receipt) does not match replicas \(replicas) with \(down.sorted()) down")
                }
                acknowledged[frame.id] = data
            }
            trace.append("write \(count) to \(live) ok")
        } catch {
            if expectAccepted { violation("a write that W replicas could take was refused: \(error)") }
            trace.append("write \(count) to \(live) refused")
        }
    }

    /// Damages up to 4 copies on one live member (only of chunks with another copy somewhere) and scrubs it.
    private func corrupt() async throws {
        guard !up.isEmpty else { return }
        let member = pick(up)
        let store = cluster.stores[member]!
        let candidates = cluster.held(on: member).filter { cluster.holders(of: $0).count >= 2 }
        guard !candidates.isEmpty else { return }
        var victims: [(id: ChunkID, path: String, offset: Int)] = []
        for _ in 0..<min(4, candidates.count) {
            let id = pick(candidates)
            guard !victims.contains(where: { $0.id == id }), let info = try store.stat(id) else { continue }
            victims.append((id, store.chunkPath(id), random(info.storedLength)))
        }
        let damaged = victims
        // A flipped byte can leave the chunk intact (an lz4 match offset moved to equal bytes): only the
        // copies that no longer verify are corrupt.
        let corrupt = try await offPool { () throws -> Set<ChunkID> in
            var corrupt = Set<ChunkID>()
            for victim in damaged {
                try damage(victim.path, at: victim.offset)
                let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: victim.path)))
                if (try? ChunkFrame(parsing: bytes).verify()) == nil { corrupt.insert(victim.id) }
            }
            return corrupt
        }
        let report = try await cluster.async(member).scrub(limit: 1 << 20)
        if Set(report.corrupt) != corrupt || !report.passCompleted {
            violation("scrub of \(member) found \(report.corrupt.count) corrupt copies, \(corrupt.count) were corrupted")
        }
        trace.append("corrupt \(corrupt.count) on \(member)")
    }

    @discardableResult
    private func repair() async -> RepairReport {
        let live = up
        let report = await repairer.runPass(live: live, healthy: down.isEmpty)
        trace.append("repair on \(live): \(report)")
        let stillMissing = report.failures.isEmpty ? missingTargets(live: live) : []
        if !stillMissing.isEmpty {
            violation("a pass without failures left \(stillMissing.count) chunks off their targets, e.g. \(stillMissing[0])")
        }
        for id in report.lost where !upHolders(id).isEmpty {
            violation("chunk \(id) reported lost while \(upHolders(id)) hold it")
        }
        return report
    }

    /// Reads three acknowledged chunks from random live members: the right bytes whenever a live member
    /// has a good copy, chunkNotFound otherwise.
    private func read() async {
        guard !acknowledged.isEmpty, !up.isEmpty else { return }
        let ids = acknowledged.keys.sorted()
        for _ in 0..<3 {
            let id = pick(ids)
            let reader = ChunkReader(peers: cluster.peers, selfID: pick(up), policy: policy)
            let available = !upHolders(id).isEmpty
            do throws(ReplicationError) {
                let bytes = try await reader.readBytes(id, live: up)
                if bytes != acknowledged[id] { violation("read of \(id) returned other bytes") }
                if !available { violation("read of \(id) succeeded with no live holder") }
            } catch {
                if available || error != .chunkNotFound(id) { violation("read of \(id) failed: \(error)") }
            }
        }
        trace.append("read 3")
    }

    // MARK: Checks

    private func upHolders(_ id: ChunkID) -> [MemberID] {
        cluster.holders(of: id).filter { !down.contains($0) }
    }

    /// Chunks held on some live member that are not on all their targets among `live`.
    private func missingTargets(live: [MemberID]) -> [ChunkID] {
        let replicaCount = policy.replicaCount(liveCount: live.count)
        let held = Set(live.flatMap { cluster.held(on: $0) })
        return held.sorted().filter { id in
            !Set(upHolders(id)).isSuperset(of: Placement.replicas(for: id, members: live, count: replicaCount))
        }
    }

    /// Every acknowledged chunk still has a copy on some member, up or down.
    private func checkNothingLost() {
        for id in acknowledged.keys.sorted() where cluster.holders(of: id).isEmpty {
            violation("acknowledged chunk \(id) has no copy anywhere")
            return
        }
    }

    /// With every member up and repair settled: every chunk on exactly its R replicas, every
    /// acknowledged one there, and every copy the original bytes.
    private func checkFinal() async throws {
        let all = Set(members.flatMap { cluster.held(on: $0) })
        for id in all.sorted() {
            let replicas = Placement.replicas(for: id, members: members, count: policy.replicationFactor)
            if cluster.holders(of: id) != replicas.sorted() {
                violation("chunk \(id) on \(cluster.holders(of: id)), replicas \(replicas)")
                return
            }
        }
        for id in acknowledged.keys where !all.contains(id) { violation("acknowledged chunk \(id) is gone") }
        let stores = cluster.stores
        let expected = acknowledged
        let bad = try await offPool { () -> [String] in
            var bad: [String] = []
            for (member, store) in stores.sorted(by: { $0.key < $1.key }) {
                for info in try store.list(limit: 1 << 20).chunks {
                    do {
                        let data = try store.read(info.id)
                        if let original = expected[info.id], original != data { bad.append("\(info.id) on \(member)") }
                    } catch {
                        bad.append("\(info.id) on \(member): \(error)")
                    }
                }
            }
            return bad
        }
        if !bad.isEmpty { violation("copies that do not read back: \(bad.prefix(3))") }
    }
}

@Suite struct RepairSimulationTests {
    @Test("crashes, restarts and corrupt disks lose nothing acknowledged; repair converges to R copies",
          arguments: Seeds.ci(3))
    func repairConverges(seed: UInt64) async throws {
        let simulation = try await ReplicationSimulation(seed: seed)
        try await simulation.run(rounds: 40)
        if ProcessInfo.processInfo.environment["REPL_TRACE"] != nil {
            print("REPL_SEED=\(seed)\n" + simulation.trace.joined(separator: "\n"))
        }
        #expect(simulation.violations.isEmpty, "replay with REPL_SEED=\(seed):\n\(simulation.violations.joined(separator: "\n"))")
        #expect(simulation.acknowledged.count >= 150)
    }
}

import Foundation
import Testing

extension IntegrationTests {
    @Suite("Leader failure")
    struct LeaderFailover {
        static let workers = 4
        static let pairsPerWorker = 50
        /// The leader is killed once this many start/finish pairs are acknowledged.
        static let killAfterPairs = 60

        @Test("kill -9 of the leader during 200 start/finish pairs loses no acknowledged commit; the node catches up after restart")
        func leaderKilledDuringCommitStream() async throws {
            try await TestCluster.with(nodes: 3) { cluster in
                try await cluster.pachctlOK(["create", "repo", "stream"])
                let ledger = CommitLedger()

                async let killed: (node: Int, atPairs: Int) = Self.killLeader(of: cluster, after: Self.killAfterPairs, ledger: ledger)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for worker in 0..<Self.workers {
                        group.addTask { try await Self.runWorker(worker, cluster: cluster, ledger: ledger) }
                    }
                    try await group.waitForAll()
                }
                let victim = try await killed
                let record = await ledger.snapshot()
                print("""
                    stream: killed leader \(victim.node) after \(victim.atPairs) pairs; \
                    \(record.started.count) starts and \(record.finished.count) finishes acknowledged, \
                    \(record.failures.count) calls failed
                    """)
                for failure in record.failures.prefix(10) { print("  failed: \(failure)") }

                // The stream went on after the kill: failover costs a few calls, not the rest of the run.
                let total = Self.workers * Self.pairsPerWorker
                #expect(record.finished.count >= total * 3 / 4, "only \(record.finished.count) of \(total) pairs acknowledged")
                #expect(record.finished.count - victim.atPairs >= total / 4, "the stream stalled after the kill")

                let survivors = cluster.founders.map(\.id).filter { $0 != victim.node }
                let newLeader = try await cluster.waitForLeader(among: Set(survivors))
                #expect(newLeader != victim.node)

                for node in survivors {
                    try await Self.expectAcknowledgedCommits(record, via: node, in: cluster)
                }

                // The killed node comes back and catches up: through its own address it finds every
                // acknowledged commit, in the state that was acknowledged.
                try cluster.restart(victim.node)
                let caughtUp = try await Self.waitUntilListed(record, via: victim.node, in: cluster, timeout: .seconds(30))
                #expect(caughtUp, "node \(victim.node) did not list every acknowledged commit within 30 s of its restart")
                try await Self.expectAcknowledgedCommits(record, via: victim.node, in: cluster)
                try await Self.inspectEach(record, via: victim.node, in: cluster)
            }
        }

        /// One client: start a commit on its own branch, finish it by id, repeat. A failed call is
        /// recorded, and the branch's head is finished (best effort) before the next start, since a start
        /// that failed on the client may still have been applied.
        static func runWorker(_ worker: Int, cluster: TestCluster, ledger: CommitLedger) async throws {
            let branch = "stream@w\(worker)"
            var dirty = false
            for _ in 0..<pairsPerWorker {
                if dirty {
                    _ = try await cluster.pachctl(["finish", "commit", branch])
                    dirty = false
                }
                let start = try await cluster.pachctl(["start", "commit", branch])
                guard start.succeeded, let id = start.commitID else {
                    await ledger.recordFailure(start)
                    dirty = true
                    continue
                }
                await ledger.recordStart(id)
                let finish = try await cluster.pachctl(["finish", "commit", "stream@\(id)"])
                if finish.succeeded {
                    await ledger.recordFinish(id)
                } else {
                    await ledger.recordFailure(finish)
                    dirty = true
                }
            }
        }

        /// Waits until `pairs` pairs are acknowledged, then SIGKILLs the node that leads at that moment.
        static func killLeader(of cluster: TestCluster, after pairs: Int, ledger: CommitLedger) async throws -> (node: Int, atPairs: Int) {
            let deadline = ContinuousClock.now + .seconds(120)
            while await ledger.finishedCount < pairs {
                guard ContinuousClock.now < deadline else { throw HarnessError("the stream never reached \(pairs) pairs") }
                try await Task.sleep(for: .milliseconds(20))
            }
            for _ in 0..<50 {
                for node in cluster.runningIDs {
                    if let leader = try await cluster.clusterStatus(via: node)?.leaderID, cluster.isRunning(leader) {
                        let count = await ledger.finishedCount
                        await cluster.kill(leader)
                        return (leader, count)
                    }
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            throw HarnessError("found no leader to kill")
        }

        /// Every acknowledged start is listed through `node`; every acknowledged finish is finished there.
        static func expectAcknowledgedCommits(_ record: CommitLedger.Record, via node: Int, in cluster: TestCluster) async throws {
            let listed = try await listCommits(via: node, in: cluster)
            let missing = record.started.filter { listed[$0] == nil }
            #expect(missing.isEmpty, "node \(node) lacks \(missing.count) acknowledged commits, e.g. \(missing.prefix(3))")
            let notFinished = record.finished.filter { listed[$0] != nil && listed[$0] != "finished" }
            #expect(notFinished.isEmpty, "node \(node) shows \(notFinished.count) acknowledged finishes as not finished")
        }

        /// `list commit stream` through `node` alone: id → state.
        static func listCommits(via node: Int, in cluster: TestCluster) async throws -> [String: String] {
            let result = try await cluster.pachctl(["list", "commit", "stream", "-o", "json"], via: [node])
            guard result.succeeded else { throw HarnessError("list commit through node \(node) failed: \(result)") }
            var states: [String: String] = [:]
            for document in try result.jsonDocuments() {
                if let id = document.string("id") { states[id] = document.string("state") ?? "" }
            }
            return states
        }

        static func waitUntilListed(_ record: CommitLedger.Record, via node: Int, in cluster: TestCluster, timeout: Duration) async throws -> Bool {
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                let result = try await cluster.pachctl(["list", "commit", "stream", "-o", "json", "--timeout", "3s"], via: [node])
                if result.succeeded {
                    let ids = Set(try result.jsonDocuments().compactMap { $0.string("id") })
                    if record.started.allSatisfy(ids.contains) { return true }
                }
                try await Task.sleep(for: .milliseconds(250))
            }
            return false
        }

        /// `inspect commit stream@<id>` through `node` alone for every acknowledged commit, four at a time.
        static func inspectEach(_ record: CommitLedger.Record, via node: Int, in cluster: TestCluster) async throws {
            let ids = record.started
            let problems = try await withThrowingTaskGroup(of: [String].self) { group in
                for lane in 0..<4 {
                    group.addTask {
                        var problems: [String] = []
                        for index in stride(from: lane, to: ids.count, by: 4) {
                            let id = ids[index]
                            let result = try await cluster.pachctl(["inspect", "commit", "stream@\(id)", "-o", "json"], via: [node])
                            let state = result.succeeded ? try result.jsonDocuments().first?.string("state") : nil
                            if state == nil {
                                problems.append("\(id): \(result.stderr)")
                            } else if record.finished.contains(id) && state != "finished" {
                                problems.append("\(id): acknowledged as finished, shown as \(state ?? "?")")
                            }
                        }
                        return problems
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(problems.isEmpty, "inspect commit through node \(node): \(problems.count) problems, e.g. \(problems.prefix(3))")
        }
    }
}

/// What the clients of the stream were told: acknowledged starts and finishes, and failed calls.
actor CommitLedger {
    struct Record: Sendable {
        var started: [String] = []
        var finished: Set<String> = []
        var failures: [PachctlResult] = []
    }

    private var record = Record()

    var finishedCount: Int { record.finished.count }

    func recordStart(_ id: String) { record.started.append(id) }
    func recordFinish(_ id: String) { record.finished.insert(id) }
    func recordFailure(_ result: PachctlResult) { record.failures.append(result) }
    func snapshot() -> Record { record }
}

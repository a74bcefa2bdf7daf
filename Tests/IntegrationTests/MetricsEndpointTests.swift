import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension IntegrationTests {
    @Suite("Metrics endpoint")
    struct MetricsEndpoint {
        @Test("each node's /metrics shows its term, exactly one leader, a commit index, fsyncs, proposals and API calls")
        func scrapeAThreeNodeCluster() async throws {
            try await TestCluster.with(nodes: 3) { cluster in
                let leader = try await cluster.waitForLeader()
                try await cluster.pachctlOK(["create", "repo", "scraped"], via: [leader])
                for _ in 0..<3 {
                    try await cluster.pachctlOK(["start", "commit", "scraped@master"], via: [leader])
                    try await cluster.pachctlOK(["finish", "commit", "scraped@master"], via: [leader])
                }

                // Followers learn the commit index with the next heartbeat: poll until every node has it.
                let ids = cluster.founders.map(\.id)
                var scrapes: [Int: [String: Double]] = [:]
                let deadline = ContinuousClock.now + .seconds(15)
                repeat {
                    for id in ids { scrapes[id] = try await MetricsScrape.samples(port: cluster.node(id).metricsPort) }
                    let commits = ids.map { scrapes[$0]?["pachd_raft_commit_index"] ?? 0 }
                    let leaders = ids.filter { scrapes[$0]?["pachd_raft_is_leader"] == 1 }
                    if leaders.count == 1, Set(commits).count == 1, commits[0] >= 7 { break }
                    try await Task.sleep(for: .milliseconds(200))
                } while ContinuousClock.now < deadline

                let summary = ids.map { id in
                    let s = scrapes[id] ?? [:]
                    return "node \(id): term \(s["pachd_raft_term"] ?? -1) leader \(s["pachd_raft_is_leader"] ?? -1) "
                        + "commit \(s["pachd_raft_commit_index"] ?? -1) fsyncs \(s["pachd_raft_fsync_seconds_count"] ?? -1)"
                }.joined(separator: "; ")
                #expect(ids.filter { scrapes[$0]?["pachd_raft_is_leader"] == 1 }.count == 1, "\(summary)")
                for id in ids {
                    let samples = try #require(scrapes[id])
                    #expect((samples["pachd_raft_term"] ?? 0) >= 1, "node \(id): \(summary)")
                    // create repo + 3 × (start, finish), plus each leader's no-op entry.
                    #expect((samples["pachd_raft_commit_index"] ?? 0) >= 7, "node \(id): \(summary)")
                    #expect((samples["pachd_raft_applied_index"] ?? 0) >= 7, "node \(id): \(summary)")
                    #expect((samples["pachd_raft_fsync_seconds_count"] ?? 0) > 0, "node \(id): \(summary)")
                    #expect(samples["pachd_raft_voters"] == 3, "node \(id)")
                    let roles = samples.filter { $0.key.hasPrefix("pachd_raft_role{") }
                    #expect(roles.count == 4 && roles.values.reduce(0, +) == 1, "node \(id): \(roles)")
                }

                // The node that took the writes counted them: proposals and API calls by method and code.
                let writer = try #require(scrapes[leader])
                #expect((writer["pachd_raft_proposals_submitted_total"] ?? 0) >= 7)
                #expect((writer["pachd_raft_proposals_succeeded_total"] ?? 0) >= 7)
                #expect((writer["pachd_raft_proposal_seconds_count"] ?? 0) >= 7)
                let createRepo = writer.first { $0.key.hasPrefix("pachd_api_requests_total{")
                    && $0.key.contains("CreateRepo") && $0.key.contains(#"code="OK""#) }
                #expect(createRepo?.value == 1, "\(writer.keys.filter { $0.hasPrefix("pachd_api") }.sorted())")

                // The announcement names the endpoint, and other paths are not found.
                let node = cluster.node(leader)
                #expect(cluster.output(leader).contains("metrics \(node.metricsAddress)"))
                let other = try await MetricsScrape.get("/other", port: node.metricsPort)
                #expect(other.status == 404, "\(other)")
            }
        }

        @Test("a metrics port in use stops pachd at startup with one line naming --metrics-address")
        func metricsPortInUseFailsStartup() async throws {
            try await TestCluster.with(nodes: 1, start: false) { cluster in
                let node = cluster.node(1)
                let holder = try #require(FreePorts.bindLoopback(port: node.metricsPort),
                                          "port \(node.metricsPort) was taken before the test could hold it")
                defer { close(holder) }
                try cluster.start(1)
                let status = await cluster.waitForExit(1, timeout: .seconds(20))
                #expect(status == 1, "\(cluster.output(1))")
                #expect(cluster.output(1).contains("--metrics-address: cannot listen on \(node.metricsAddress)"),
                        "\(cluster.output(1))")
            }
        }
    }
}

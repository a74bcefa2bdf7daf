import Foundation
import Testing

extension IntegrationTests {
    /// `scripts/cluster.sh up --disk-mib` gives every node its own small file system, and `fill K` fills
    /// one to the last block, as a user would see a data disk fill up.
    @Suite("Full disks", .enabled(if: ScriptedCluster.disksSkipReason == nil, "\(ScriptedCluster.disksSkipReason ?? "")"))
    struct FullDisks {
        @Test("a leader whose disk fills up neither crashes nor holds writes up; once space is freed it catches up without a restart and every file is whole on every node")
        func fullLeaderDiskIsWaitedOut() async throws {
            try await ScriptedCluster.with { cluster in
                try await cluster.scriptOK(["up", "3", "--netns", "--disk-mib", "256"], timeout: .seconds(180))
                let all = [1, 2, 3]
                let bad = try await cluster.script(["fill", "9"])
                #expect(bad.failed && bad.stderr.contains("no node 9"), "\(bad)")
                try await cluster.pachctlOK(["create", "repo", "disk"], via: all)
                var expected: [String: String] = [:]
                func put(_ name: String, via nodes: [Int]) async throws {
                    let bytes = (0..<(1 << 20)).map { _ in UInt8.random(in: 0...255) }
                    let source = "\(cluster.root)/\(name)"
                    try Data(bytes).write(to: URL(fileURLWithPath: source))
                    try await cluster.pachctlOK(["put", "file", "disk@master:/\(name)", "-f", source], via: nodes)
                    expected[name] = ChaosValue.sha256(Data(bytes))
                }
                try await put("before", via: all)

                let leader = try await cluster.waitForLeader(among: all)
                try await cluster.scriptOK(["fill", String(leader)])
                let status = try await cluster.scriptOK(["status"])
                #expect(status.stdout.contains("node \(leader) disk:") && status.stdout.contains("full (filled)"), "\(status)")
                // Writes through any node, the full one first in the list, go on: the others elect a new
                // leader and keep two copies of every chunk.
                for index in 0..<4 { try await put("during-\(index)", via: [leader] + all.filter { $0 != leader }) }
                let successor = try await cluster.waitForLeader(among: all.filter { $0 != leader })
                #expect(successor != leader)
                #expect(cluster.isRunning(leader), "node \(leader) exited when its disk filled up")
                let log = (try? String(contentsOfFile: "\(cluster.root)/cluster/node\(leader)/pachd.log", encoding: .utf8)) ?? ""
                #expect(log.contains("the disk is full"), "node \(leader) did not say why it stopped taking part")

                try await cluster.scriptOK(["heal"])
                try await put("after", via: [leader])
                #expect(try await ChaosChecks.replicated(cluster: cluster, nodes: all, timeout: .seconds(120)).isEmpty)
                for k in all {
                    for (name, sha) in expected.sorted(by: { $0.key < $1.key }) {
                        let out = "\(cluster.root)/read-\(k)-\(name)"
                        try await cluster.pachctlOK(["get", "file", "disk@master:/\(name)", "-o", out], via: [k])
                        let bytes = try Data(contentsOf: URL(fileURLWithPath: out))
                        #expect(ChaosValue.sha256(bytes) == sha, "node \(k) serves other bytes for /\(name)")
                    }
                }
                #expect(all.allSatisfy(cluster.isRunning))
            }
        }
    }
}

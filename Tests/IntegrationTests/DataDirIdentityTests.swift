import Foundation
import Testing

extension IntegrationTests {
    @Suite("Data dir identity")
    struct DataDirIdentity {
        @Test("a node started on the data dir of another cluster refuses to start and says why")
        func dataDirOfAnotherCluster() async throws {
            try await TestCluster.with(nodes: 3) { cluster in
                try await cluster.pachctlOK(["create", "repo", "mine"])
                let node = cluster.node(2)
                #expect(await cluster.stop(2) != nil, "node 2 did not stop on SIGTERM")

                // The same node, the same files, but the id of another cluster.
                let otherCluster = RandomHex.make(bytes: 16)
                try cluster.start(2, arguments: cluster.arguments(for: node, clusterID: otherCluster))
                let status = await cluster.waitForExit(2, timeout: .seconds(20))
                let output = cluster.output(2)
                let code = try #require(status, "pachd kept running on another cluster's data dir:\n\(output)")
                #expect(code != 0, "pachd exited 0:\n\(output)")
                #expect(output.contains(cluster.clusterID), "the message does not name the data dir's cluster:\n\(output)")
                #expect(output.contains(otherCluster), "the message does not name the requested cluster:\n\(output)")

                // It did not touch the data dir: started with its real identity it rejoins and serves.
                try cluster.start(2, arguments: cluster.arguments(for: node))
                let result = try await Self.waitForRead(cluster, via: 2)
                #expect(result.succeeded && result.stdout.contains("mine"),
                        "node 2 did not come back: \(result)\nits output:\n\(cluster.output(2).suffix(3000))")
            }
        }

        static func waitForRead(_ cluster: TestCluster, via node: Int) async throws -> PachctlResult {
            var result = try await cluster.pachctl(["list", "repo", "--timeout", "3s"], via: [node])
            let deadline = ContinuousClock.now + .seconds(20)
            while !result.succeeded && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(250))
                result = try await cluster.pachctl(["list", "repo", "--timeout", "3s"], via: [node])
            }
            return result
        }
    }
}

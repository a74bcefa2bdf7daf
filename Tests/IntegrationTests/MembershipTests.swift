import Foundation
import Testing

extension IntegrationTests {
    @Suite("Membership")
    struct Membership {
        @Test("a --join node becomes learner then voter and serves; a silent member is marked down; remove-node takes it out")
        func joinPromoteMarkDownAndRemove() async throws {
            try await TestCluster.with(nodes: 3, extraArguments: ["--down-after", "2s"]) { cluster in
                try await cluster.pachctlOK(["create", "repo", "before"])
                for _ in 0..<5 {
                    try await cluster.pachctlOK(["start", "commit", "before@master"])
                    try await cluster.pachctlOK(["finish", "commit", "before@master"])
                }

                // Node 4 knows only the founders' addresses and its own; it asks them to admit it.
                let joiner = try cluster.addNode(id: 4)
                try await cluster.ca.issue(node: 4)
                let peers = cluster.foundersPeerList + ",4=\(joiner.peerAddress)"
                try cluster.start(4, arguments: cluster.arguments(for: joiner, peers: peers, join: true))
                try await waitFor("node 4 to be a voter", cluster: cluster, via: [1, 2, 3]) { status in
                    status.members.first { $0.id == 4 }?.membership == "voter"
                }

                // It has the whole history, and takes writes like any member.
                let repos = try await cluster.pachctlOK(["list", "commit", "before@master", "-o", "json"], via: [4])
                #expect(try repos.jsonDocuments().count == 5, "node 4 lists \(repos)")
                try await cluster.pachctlOK(["create", "repo", "via-joiner"], via: [4])

                // Four voters: losing the leader leaves a quorum of three.
                let leader = try await cluster.waitForLeader()
                await cluster.kill(leader)
                let survivors = [1, 2, 3, 4].filter { $0 != leader }
                _ = try await cluster.waitForLeader(among: Set(survivors))
                try await cluster.pachctlOK(["create", "repo", "without-\(leader)"], via: survivors)

                // The leader records the silent node as down after --down-after (2 s here).
                try await waitFor("node \(leader) to be marked down", cluster: cluster, via: survivors) { status in
                    status.members.first { $0.id == leader }?.markedDown == true
                }

                // Bad input changes nothing.
                let unknown = try await cluster.pachctl(["cluster", "remove-node", "42"], via: survivors)
                #expect(unknown.failed && unknown.stderr.contains("not a member"), "\(unknown)")

                // Removing the dead node: three voters again, all alive, writable.
                try await cluster.pachctlOK(["cluster", "remove-node", String(leader)], via: survivors)
                try await waitFor("node \(leader) to leave", cluster: cluster, via: survivors) { status in
                    status.memberIDs == survivors
                }
                try await cluster.pachctlOK(["create", "repo", "after-remove"], via: survivors)

                // A node that joined restarts as a member: it does not ask again, and it catches up.
                if survivors.contains(4) {
                    _ = await cluster.stop(4)
                    try cluster.restart(4)
                    try await waitFor("node 4 to be back", cluster: cluster, via: [4]) { status in
                        status.leaderID != nil && status.memberIDs == survivors
                    }
                    let names = try await cluster.pachctlOK(["list", "repo", "-o", "json"], via: [4])
                    #expect(Set(try names.jsonDocuments().compactMap { $0.string("name") })
                        == ["before", "via-joiner", "without-\(leader)", "after-remove"], "\(names)")
                }
            }
        }

        /// Polls `cluster status` through `nodes` until `done` holds for an answer, for up to 40 s.
        private func waitFor(_ what: String, cluster: TestCluster, via nodes: [Int],
                             _ done: (ClusterStatus) -> Bool) async throws {
            let deadline = ContinuousClock.now + .seconds(40)
            var last = "no answer"
            while ContinuousClock.now < deadline {
                for node in nodes where cluster.isRunning(node) {
                    guard let status = try await cluster.clusterStatus(via: node) else { continue }
                    if done(status) { return }
                    last = "node \(node): members \(status.members.map { "\($0.id) \($0.membership)\($0.markedDown ? " marked down" : "")" })"
                }
                try await Task.sleep(for: .milliseconds(300))
            }
            throw HarnessError("timed out waiting for \(what); last: \(last)")
        }
    }
}

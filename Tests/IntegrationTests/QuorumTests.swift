import Foundation
import Testing

extension IntegrationTests {
    @Suite("Quorum")
    struct Quorum {
        @Test("a 5-node cluster keeps serving reads and writes with two nodes killed (the leader among them)")
        func fiveNodesTolerateTwoKilled() async throws {
            try await TestCluster.with(nodes: 5) { cluster in
                try await cluster.pachctlOK(["create", "repo", "before"])
                let before = try #require(try await cluster.pachctlOK(["start", "commit", "before@master"]).commitID)
                try await cluster.pachctlOK(["finish", "commit", "before@master"])

                let leader = try await cluster.waitForLeader()
                let follower = try #require(cluster.founders.map(\.id).first { $0 != leader })
                await cluster.kill(leader)
                await cluster.kill(follower)
                let survivors = cluster.founders.map(\.id).filter { $0 != leader && $0 != follower }
                let newLeader = try await cluster.waitForLeader(among: Set(survivors))
                #expect(survivors.contains(newLeader))

                // pachctl gets every address, dead ones included (the dead leader first): it must move on.
                let everyone = [leader, follower] + survivors
                try await cluster.pachctlOK(["create", "repo", "after"], via: everyone)
                let after = try #require(try await cluster.pachctlOK(["start", "commit", "after@master"], via: everyone).commitID)
                try await cluster.pachctlOK(["finish", "commit", "after@\(after)"], via: everyone)

                for node in survivors {
                    let repos = try await cluster.pachctlOK(["list", "repo", "-o", "json"], via: [node])
                    #expect(Set(try repos.jsonDocuments().compactMap { $0.string("name") }) == ["before", "after"], "node \(node): \(repos)")
                    let old = try await cluster.pachctlOK(["inspect", "commit", "before@\(before)", "-o", "json"], via: [node])
                    #expect(try old.jsonDocuments().first?.string("state") == "finished", "node \(node): \(old)")
                    let new = try await cluster.pachctlOK(["inspect", "commit", "after@master", "-o", "json"], via: [node])
                    let info = try #require(try new.jsonDocuments().first, "node \(node): \(new)")
                    #expect(info.string("id") == after && info.string("state") == "finished", "node \(node): \(new)")
                }
            }
        }

        @Test("with 2 of 3 nodes killed, a write and a read fail within 15 s with an 'unavailable'-style error")
        func noQuorumFailsFastInsteadOfHanging() async throws {
            try await TestCluster.with(nodes: 3) { cluster in
                try await cluster.pachctlOK(["create", "repo", "data"])
                let leader = try await cluster.waitForLeader()
                let follower = try #require(cluster.founders.map(\.id).first { $0 != leader })
                let survivor = try #require(cluster.founders.map(\.id).first { $0 != leader && $0 != follower })
                await cluster.kill(leader)
                await cluster.kill(follower)

                let calls: [(String, [String], [Int])] = [
                    ("write through the survivor", ["create", "repo", "lost"], [survivor]),
                    ("read through the survivor", ["list", "repo"], [survivor]),
                    ("write through every address", ["start", "commit", "data@master"], cluster.founders.map(\.id)),
                ]
                for (what, arguments, nodes) in calls {
                    let result = try await cluster.pachctl(arguments, via: nodes, timeout: .seconds(40))
                    #expect(result.failed, "\(what) did not fail: \(result)")
                    #expect(result.elapsed < .seconds(15), "\(what) took too long: \(result)")
                    let text = result.stderr.lowercased()
                    let says = ["unavailable", "leader", "quorum", "reachable", "timed out", "deadline"].contains { text.contains($0) }
                    #expect(says, "\(what): the error does not say the cluster is unavailable: \(result)")
                }
            }
        }

        @Test("with the two followers of a 3-node cluster killed, a write through the old leader fails within 15 s")
        func leaderWithoutQuorumFailsFast() async throws {
            try await TestCluster.with(nodes: 3) { cluster in
                let leader = try await cluster.waitForLeader()
                for node in cluster.founders.map(\.id) where node != leader { await cluster.kill(node) }
                let result = try await cluster.pachctl(["create", "repo", "lost"], via: [leader], timeout: .seconds(40))
                #expect(result.failed, "the write did not fail: \(result)")
                #expect(result.elapsed < .seconds(15), "the write took too long: \(result)")
            }
        }
    }
}

import Testing

extension IntegrationTests {
    @Suite("Any node answers any call")
    struct MetadataThroughAnyNode {
        @Test("a follower creates a repo, starts, finishes, lists and inspects commits; every node sees the same")
        func followerServesMetadataOperations() async throws {
            try await TestCluster.with(nodes: 3) { cluster in
                let leader = try await cluster.waitForLeader()
                let followers = cluster.founders.map(\.id).filter { $0 != leader }
                let follower = try #require(followers.first)

                try await cluster.pachctlOK(["create", "repo", "images", "--description", "cats"], via: [follower])
                let started = try await cluster.pachctlOK(["start", "commit", "images@master"], via: [follower])
                let first = try #require(started.commitID, "start commit printed no commit id: \(started)")
                let open = try await cluster.pachctlOK(["inspect", "commit", "images@\(first)", "-o", "json"], via: [follower])
                #expect(try open.jsonDocuments().first?.string("state") == "open")
                try await cluster.pachctlOK(["finish", "commit", "images@\(first)"], via: [follower])

                // A second commit through the other follower: its parent must be the first, which it
                // can only know if its read of the branch head is linearizable.
                let other = followers.last ?? follower
                let second = try #require(
                    try await cluster.pachctlOK(["start", "commit", "images@master"], via: [other]).commitID)
                try await cluster.pachctlOK(["finish", "commit", "images@master"], via: [other])

                for node in cluster.founders.map(\.id) {
                    let head = try await cluster.pachctlOK(["inspect", "commit", "images@master", "-o", "json"], via: [node])
                    let headInfo = try #require(try head.jsonDocuments().first, "node \(node): \(head)")
                    #expect(headInfo.string("id") == second, "node \(node): \(head)")
                    #expect(headInfo.string("parent_id") == first, "node \(node): \(head)")
                    #expect(headInfo.string("state") == "finished", "node \(node): \(head)")

                    let parent = try await cluster.pachctlOK(["inspect", "commit", "images@master^", "-o", "json"], via: [node])
                    #expect(try parent.jsonDocuments().first?.string("id") == first, "node \(node): \(parent)")

                    let repos = try await cluster.pachctlOK(["list", "repo", "-o", "json"], via: [node])
                    let repoInfo = try repos.jsonDocuments()
                    #expect(repoInfo.compactMap { $0.string("name") } == ["images"], "node \(node): \(repos)")
                    #expect(repoInfo.first?.string("description") == "cats", "node \(node): \(repos)")

                    let commits = try await cluster.pachctlOK(["list", "commit", "images", "-o", "json"], via: [node])
                    #expect(try commits.jsonDocuments().compactMap { $0.string("id") } == [second, first], "node \(node): \(commits)")

                    // The table output names the commit too (what a user reads).
                    let table = try await cluster.pachctlOK(["inspect", "commit", "images@\(first)"], via: [node])
                    #expect(table.stdout.contains(first), "node \(node): \(table)")
                }
            }
        }
    }
}

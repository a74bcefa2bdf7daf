import Foundation
import Testing

extension IntegrationTests {
    @Suite("Bad input")
    struct BadInput {
        /// Everything the cluster shows about its repos, branches and commits (JSON: absolute times,
        /// so two snapshots are equal when nothing changed).
        static func snapshot(_ cluster: TestCluster, repos: [String]) async throws -> String {
            var text = try await cluster.pachctlOK(["list", "repo", "-o", "json"]).stdout
            for repo in repos {
                text += try await cluster.pachctlOK(["list", "commit", repo, "-o", "json"]).stdout
                text += try await cluster.pachctlOK(["list", "branch", repo, "-o", "json"]).stdout
            }
            return text
        }

        @Test("invalid names, malformed refs, unknown refs and a commit of another repo get one clear error line and change nothing")
        func rejectedWithoutEffect() async throws {
            try await TestCluster.with(nodes: 3) { cluster in
                try await cluster.pachctlOK(["create", "repo", "alpha"])
                try await cluster.pachctlOK(["create", "repo", "beta"])
                let alphaCommit = try #require(try await cluster.pachctlOK(["start", "commit", "alpha@master"]).commitID)
                try await cluster.pachctlOK(["finish", "commit", "alpha@master"])
                let betaCommit = try #require(try await cluster.pachctlOK(["start", "commit", "beta@master"]).commitID)
                // beta@master stays open, so a wrong finish would have something to change.

                let before = try await Self.snapshot(cluster, repos: ["alpha", "beta"])

                // (arguments, a word the error must contain, lowercased)
                let cases: [([String], String)] = [
                    (["create", "repo", "bad name"], "bad name"),
                    (["create", "repo", "a/b"], "a/b"),
                    (["create", "repo", ".."], ".."),
                    (["create", "repo", "repo!"], "repo!"),
                    (["create", "repo", String(repeating: "x", count: 64)], "x"),
                    (["create", "repo", "naïve"], "na"),
                    (["create", "repo", ""], "repo"),
                    (["create", "repo", "alpha"], "alpha"),
                    (["inspect", "commit", "alpha@"], "alpha@"),
                    (["inspect", "commit", "@x"], "@x"),
                    (["inspect", "commit", "alpha@a:b:c"], "a:b:c"),
                    (["inspect", "commit", "alpha"], "alpha"),
                    (["inspect", "commit", "alpha@no-such-branch"], "no-such-branch"),
                    (["inspect", "commit", "alpha@master^9"], "alpha"),
                    (["inspect", "commit", "alpha@\(String(repeating: "0", count: 32))"], "0000"),
                    (["inspect", "commit", "nosuchrepo@master"], "nosuchrepo"),
                    (["inspect", "commit", "beta@\(alphaCommit)"], String(alphaCommit.prefix(8))),
                    (["start", "commit", "alpha@a:b"], "a:b"),
                    (["start", "commit", "nosuchrepo@master"], "nosuchrepo"),
                    (["start", "commit", "beta@master"], "beta"),
                    (["finish", "commit", "beta@\(alphaCommit)"], String(alphaCommit.prefix(8))),
                    (["finish", "commit", "alpha@\(betaCommit)"], String(betaCommit.prefix(8))),
                    (["finish", "commit", "alpha@\(alphaCommit)"], "finish"),
                    (["finish", "commit", "alpha@master^^"], "alpha"),
                    (["list", "commit", "nosuchrepo"], "nosuchrepo"),
                    (["list", "commit", "alpha@no-such-branch"], "no-such-branch"),
                ]
                for (arguments, word) in cases {
                    let result = try await cluster.pachctl(arguments, timeout: .seconds(30))
                    #expect(result.failed, "accepted: \(result)")
                    let lines = result.stderr.split(separator: "\n")
                    #expect(lines.count == 1, "not one error line: \(result)")
                    #expect(result.stderr.hasPrefix("error: "), "not an error line: \(result)")
                    #expect(result.stderr.lowercased().contains(word.lowercased()), "the error does not mention '\(word)': \(result)")
                    #expect(!result.stderr.contains("no node reachable"), "a bad argument looked like an outage: \(result)")
                }

                let after = try await Self.snapshot(cluster, repos: ["alpha", "beta"])
                #expect(before == after, "the cluster changed:\nbefore: \(before)\nafter: \(after)")
                // beta's open commit is still open (no stray finish reached it).
                let open = try await cluster.pachctlOK(["inspect", "commit", "beta@\(betaCommit)", "-o", "json"])
                #expect(try open.jsonDocuments().first?.string("state") == "open")
            }
        }
    }
}

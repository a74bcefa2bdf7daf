import Foundation
import Testing

extension IntegrationTests {
    /// `scripts/cluster.sh up --netns` and its network faults, driven as a user drives them: each node on
    /// its own host in its own network namespace, links cut with `partition`/`isolate`, degraded with
    /// `slow`, restored with `heal`; `down` leaves no namespace, link or rule behind.
    @Suite("Network faults", .enabled(if: ScriptedCluster.netnsSkipReason == nil,
                                      "\(ScriptedCluster.netnsSkipReason ?? "")"))
    struct NetworkFaults {
        @Test("a leader partitioned into a minority takes no write; the majority elects another and goes on; after heal all agree")
        func partitionedLeaderLosesItsPowers() async throws {
            try await ScriptedCluster.with { cluster in
                try await cluster.scriptOK(["up", "3", "--netns"], timeout: .seconds(180))
                let all = [1, 2, 3]
                try await cluster.pachctlOK(["create", "repo", "before"], via: all)
                let leader = try await cluster.waitForLeader(among: all)
                let others = all.filter { $0 != leader }

                try await cluster.scriptOK(["partition", "\(leader)|\(others.map(String.init).joined(separator: ","))"])
                let status = try await cluster.scriptOK(["status"])
                #expect(status.stdout.contains("node \(leader) network faults"), "\(status)")

                let successor = try await cluster.waitForLeader(among: others)
                #expect(others.contains(successor))
                try await cluster.pachctlOK(["create", "repo", "majority"], via: others)
                let write = try await cluster.pachctl(["create", "repo", "minority", "--timeout", "5s"], via: [leader], timeout: .seconds(30))
                #expect(write.failed, "the cut-off leader acknowledged a write: \(write)")
                let read = try await cluster.pachctl(["list", "repo", "--timeout", "5s"], via: [leader], timeout: .seconds(30))
                #expect(read.failed, "the cut-off leader served a read it cannot know is current: \(read)")

                try await cluster.scriptOK(["heal"])
                for k in all {
                    let repos = try await eventuallyListedRepos(cluster, via: k, among: [["before", "majority"]])
                    #expect(repos == ["before", "majority"], "node \(k) lists \(repos)")
                }
                try await cluster.scriptOK(["down", "--purge"])
                let leftovers = try await cluster.leftovers()
                #expect(leftovers.isEmpty, "down left \(leftovers)")
            }
        }

        @Test("bad fault arguments change nothing; an isolated follower catches up after heal; lossy links still carry writes")
        func isolateSlowAndBadInput() async throws {
            try await ScriptedCluster.with { cluster in
                try await cluster.scriptOK(["up", "3", "--netns"], timeout: .seconds(180))
                let all = [1, 2, 3]
                let bad: [([String], String)] = [
                    (["partition", "1,2"], "at least two groups"),
                    (["partition", "1|9"], "no node 9"),
                    (["partition", "1,2|2,3"], "in two groups"),
                    (["partition", "1|x"], "node numbers"),
                    (["isolate", "7"], "no node 7"),
                    (["slow", "1", "loss", "200%"], "percentage"),
                    (["slow", "1"], "usage"),
                ]
                for (arguments, message) in bad {
                    let result = try await cluster.script(arguments)
                    #expect(result.failed && result.stderr.contains(message), "\(arguments): \(result)")
                }
                #expect(!(try await cluster.scriptOK(["status"])).stdout.contains("network faults"))

                let leader = try await cluster.waitForLeader(among: all)
                let follower = try #require(all.first { $0 != leader })
                let rest = all.filter { $0 != follower }
                try await cluster.scriptOK(["isolate", String(follower)])
                try await cluster.pachctlOK(["create", "repo", "while-isolated"], via: rest)
                // The follower forwards the write to a leader it cannot reach: no answer, so the outcome is
                // unknown (the forwarded proposal may still arrive once the link is back), and the error says so.
                let cut = try await cluster.pachctl(["create", "repo", "through-the-cut", "--timeout", "5s"], via: [follower], timeout: .seconds(30))
                #expect(cut.failed, "a node cut off from the leader acknowledged a write: \(cut)")
                #expect(cut.stderr.contains("may still apply") || cut.stderr.contains("unavailable"), "\(cut)")
                try await cluster.scriptOK(["heal"])
                let repos = try await eventuallyListedRepos(cluster, via: follower, among: [["while-isolated"], ["while-isolated", "through-the-cut"]])
                #expect(repos.contains("while-isolated"), "node \(follower) lists \(repos)")
                // A retry settles it: created now, or it already was (a late copy of the first try is refused).
                let retry = try await cluster.pachctl(["create", "repo", "through-the-cut"], via: all)
                #expect(retry.succeeded || retry.stderr.contains("already exists"), "\(retry)")
                let expected: Set<String> = ["while-isolated", "through-the-cut", "lossy"]

                try await cluster.scriptOK(["slow", String(follower), "loss", "30%"])
                #expect((try await cluster.scriptOK(["status"])).stdout.contains("numgen random mod 100 < 30"))
                try await cluster.pachctlOK(["create", "repo", "lossy"], via: all)
                let delayed = try await cluster.script(["slow", String(follower), "20ms"])
                if !delayed.succeeded {
                    #expect(delayed.stderr.contains("netem"), "a failed delay must say why: \(delayed)")
                }
                try await cluster.scriptOK(["heal"])
                #expect(!(try await cluster.scriptOK(["status"])).stdout.contains("network faults"))
                for k in all {
                    let listed = try await eventuallyListedRepos(cluster, via: k, among: [expected])
                    #expect(listed == expected, "node \(k) lists \(listed)")
                }
                try await cluster.scriptOK(["down"])
                let leftovers = try await cluster.leftovers()
                #expect(leftovers.isEmpty, "down left \(leftovers)")
                // The data stays; `up` makes the network again and the repos are still there.
                try await cluster.scriptOK(["up"], timeout: .seconds(180))
                let again = try await eventuallyListedRepos(cluster, via: 1, among: [expected])
                #expect(again == expected)
            }
        }

        /// The repos node `k` lists, polled until they are one of `answers` or 30 s pass (then the last answer).
        private func eventuallyListedRepos(_ cluster: ScriptedCluster, via k: Int, among answers: [Set<String>]) async throws -> Set<String> {
            let deadline = ContinuousClock.now + .seconds(30)
            var last: Set<String> = []
            while ContinuousClock.now < deadline {
                let result = try await cluster.pachctl(["list", "repo", "-o", "json", "--timeout", "3s"], via: [k], timeout: .seconds(10))
                if result.succeeded {
                    last = Set(try result.jsonDocuments().compactMap { $0.string("name") })
                    if answers.contains(last) { return last }
                }
                try await Task.sleep(for: .milliseconds(300))
            }
            return last
        }
    }
}

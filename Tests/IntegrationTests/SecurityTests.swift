import Foundation
import Testing

extension IntegrationTests {
    @Suite("Security")
    struct Security {
        @Test("a node whose certificate another CA signed cannot join; its API fails; a client trusting another CA cannot connect")
        func foreignCertificateAuthority() async throws {
            try await TestCluster.with(nodes: 3) { cluster in
                try await cluster.pachctlOK(["create", "repo", "kept"])
                _ = try await cluster.waitForLeader()
                let foreign = try await CertificateAuthority.make(in: cluster.root + "/foreign-tls", name: "impostor CA")
                try await foreign.issue(node: 4)

                // The impostor knows everything public (addresses, cluster id, the cluster CA) and claims
                // to be a founding voter, so it actively campaigns, which a plain --join node would not.
                let impostor = try cluster.addNode(id: 4)
                let peers = cluster.foundersPeerList + ",4=\(impostor.peerAddress)"
                try cluster.start(4, arguments: cluster.arguments(for: impostor, certificates: foreign, peers: peers))
                try await Task.sleep(for: .seconds(3))

                for node in cluster.founders.map(\.id) {
                    let status = try #require(try await cluster.clusterStatus(via: node), "node \(node) gave no status")
                    #expect(status.memberIDs == [1, 2, 3], "node \(node) lists members \(status.memberIDs)")
                    #expect(status.leaderID.map { [1, 2, 3].contains($0) } == true, "leader \(status.leaderID ?? 0)")
                }

                // Its API, with the cluster CA: its certificate does not verify.
                let viaImpostor = try await cluster.pachctl(["list", "repo", "--timeout", "3s"], via: [4], timeout: .seconds(20))
                #expect(viaImpostor.failed, "a call through the impostor succeeded: \(viaImpostor)")
                #expect(viaImpostor.stderr.lowercased().contains("tls") || viaImpostor.stderr.lowercased().contains("certificate"),
                        "the error does not name the certificate problem: \(viaImpostor)")
                // Even a client that trusts the impostor's CA gets nothing from it: it is no member.
                let trusting = try await cluster.pachctl(
                    ["list", "repo", "--timeout", "3s"], via: [4], caPath: foreign.caCertificate, timeout: .seconds(20))
                #expect(trusting.failed, "the impostor answered a client that trusts its CA: \(trusting)")
                #expect(!trusting.stdout.contains("kept"), "the impostor served the cluster's data: \(trusting)")

                // A client that trusts another CA cannot talk to the real cluster.
                let wrongCA = try await cluster.pachctl(
                    ["list", "repo", "--timeout", "3s"], caPath: foreign.caCertificate, timeout: .seconds(30))
                #expect(wrongCA.failed, "a client with a foreign CA connected: \(wrongCA)")
                #expect(wrongCA.stderr.lowercased().contains("tls") || wrongCA.stderr.lowercased().contains("certificate"),
                        "the error does not name the certificate problem: \(wrongCA)")

                // The cluster is unharmed.
                try await cluster.pachctlOK(["create", "repo", "still-writable"])
            }
        }

        @Test("a client without a token, or with a wrong one, gets 'unauthenticated' and changes nothing")
        func tokenIsRequired() async throws {
            try await TestCluster.with(nodes: 3) { cluster in
                let cases: [(String, TestCluster.Token)] = [
                    ("no token", .none),
                    ("a wrong token", .value(RandomHex.make(bytes: 32))),
                    ("the token with one character changed", .value(String(cluster.token.dropLast()) + (cluster.token.hasSuffix("0") ? "1" : "0"))),
                ]
                for (what, token) in cases {
                    for arguments in [["create", "repo", "sneaky"], ["list", "repo"], ["cluster", "status"]] {
                        let result = try await cluster.pachctl(arguments, token: token, timeout: .seconds(30))
                        #expect(result.failed, "\(what): \(arguments) succeeded: \(result)")
                        let text = result.stderr.lowercased()
                        #expect(text.contains("unauthenticated") || text.contains("token"), "\(what): \(result)")
                        #expect(!text.contains(cluster.token), "\(what): the error repeats the real token")
                    }
                }
                let repos = try await cluster.pachctlOK(["list", "repo", "-o", "json"])
                #expect(try repos.jsonDocuments().isEmpty, "a repo appeared: \(repos)")
            }
        }
    }
}

import Foundation
import Testing

extension IntegrationTests {
    /// Pipelines on real nodes: a job per input change, only changed datums processed, outputs and logs
    /// readable through any node, and a job that survives losing a node that runs part of it.
    @Suite("Pipelines")
    struct Pipelines {
        /// Upper-cases every file; relative paths work in both runtimes (bwrap runs it in /pfs, the
        /// process fallback in a folder with the same layout).
        static let upperSpec = """
            {"pipeline": {"name": "upper"},
             "transform": {"cmd": ["sh", "-c", "for f in images/*; do tr a-z A-Z < \\"$f\\" > out/$(basename \\"$f\\"); done; echo upper-done >&2"]},
             "input": {"pfs": {"repo": "images", "glob": "/*"}}}
            """

        /// The newest job of `pipeline` once it differs from `previous`, waited for until it ends.
        static func nextJob(_ cluster: TestCluster, pipeline: String, after previous: String?,
                            via node: Int = 1) async throws -> JSONObject {
            for _ in 0..<600 {
                let jobs = try await cluster.pachctlOK(["list", "job", "-p", pipeline, "-o", "json"], via: [node])
                if let newest = try jobs.jsonDocuments().first, let id = newest.string("id"), id != previous {
                    let waited = try await cluster.pachctl(["wait", "job", id, "-o", "json"], via: [node], timeout: .seconds(300))
                    let documents = try waited.jsonDocuments()
                    guard let job = documents.first else { throw HarnessError("wait job \(id) printed nothing: \(waited)") }
                    return job
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            throw HarnessError("no new job of \(pipeline) appeared after \(previous ?? "none")")
        }

        @Test("a commit makes a job; the next processes only what changed; outputs, datums and logs read back through any node")
        func incrementalJobsThroughAnyNode() async throws {
            try await TestCluster.with(nodes: 3) { cluster in
                let source = cluster.root + "/images"
                try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
                for (name, text) in [("a", "alpha\n"), ("b", "beta\n"), ("c", "gamma\n")] {
                    try text.write(toFile: "\(source)/\(name)", atomically: true, encoding: .utf8)
                }
                try await cluster.pachctlOK(["create", "repo", "images"], via: [1])
                try await cluster.pachctlOK(["put", "file", "images@master:/", "-r", "-f", source], via: [2])
                let spec = cluster.root + "/upper.json"
                try Self.upperSpec.write(toFile: spec, atomically: true, encoding: .utf8)
                try await cluster.pachctlOK(["create", "pipeline", "-f", spec], via: [3])

                let first = try await Self.nextJob(cluster, pipeline: "upper", after: nil)
                #expect(first.string("state") == "success", "\(first.fields)")
                #expect(first.int("datums_total") == 3 && first.int("datums_processed") == 3 && first.int("datums_skipped") == 0)
                for node in [1, 2, 3] {
                    let got = try await cluster.pachctlOK(["get", "file", "upper@master:/a"], via: [node])
                    #expect(got.stdout == "ALPHA\n", "through node \(node): \(got)")
                }

                // One new file and one changed: two datums run, two are reused.
                try "delta\n".write(toFile: "\(source)/d", atomically: true, encoding: .utf8)
                try "ALPHA again\n".write(toFile: "\(source)/a", atomically: true, encoding: .utf8)
                try await cluster.pachctlOK(["put", "file", "images@master:/d", "-f", "\(source)/d"], via: [1])
                let second = try await Self.nextJob(cluster, pipeline: "upper", after: first.string("id"))
                #expect(second.string("state") == "success")
                #expect(second.int("datums_total") == 4 && second.int("datums_processed") == 1 && second.int("datums_skipped") == 3,
                        "\(second.fields)")
                try await cluster.pachctlOK(["put", "file", "images@master:/a", "-f", "\(source)/a"], via: [2])
                let third = try await Self.nextJob(cluster, pipeline: "upper", after: second.string("id"))
                #expect(third.int("datums_processed") == 1 && third.int("datums_skipped") == 3, "\(third.fields)")
                // A deleted input's output disappears.
                try await cluster.pachctlOK(["delete", "file", "images@master:/c"], via: [3])
                let fourth = try await Self.nextJob(cluster, pipeline: "upper", after: third.string("id"))
                #expect(fourth.int("datums_total") == 3 && fourth.int("datums_processed") == 0, "\(fourth.fields)")
                let listing = try await cluster.pachctlOK(["list", "file", "upper@master", "-o", "json"], via: [2])
                #expect(try listing.jsonDocuments().compactMap { $0.string("path") } == ["/a", "/b", "/d"], "\(listing)")
                #expect(try await cluster.pachctlOK(["get", "file", "upper@master:/a"], via: [3]).stdout == "ALPHA AGAIN\n")

                // The output commit records the input commit it came from.
                let output = try await cluster.pachctlOK(["inspect", "commit", "upper@master", "-o", "json"], via: [1])
                #expect(output.stdout.contains("images"), "provenance: \(output)")
                let datums = try await cluster.pachctlOK(["list", "datum", try #require(fourth.string("id")), "-o", "json"], via: [2])
                #expect(try datums.jsonDocuments().compactMap { $0.string("state") } == ["skipped", "skipped", "skipped"], "\(datums)")
                let logs = try await cluster.pachctlOK(["logs", "--job", try #require(first.string("id"))], via: [3])
                #expect(logs.stdout.contains("upper-done"), "\(logs)")

                // Writes to the output are refused; deleting the pipeline deletes its repo.
                let refused = try await cluster.pachctl(["put", "file", "upper@master:/x", "-f", "\(source)/d"], via: [1])
                #expect(refused.failed && refused.stderr.contains("output of pipeline upper"), "\(refused)")
                try await cluster.pachctlOK(["delete", "pipeline", "upper"], via: [2])
                let repos = try await cluster.pachctlOK(["list", "repo", "-o", "json"], via: [1])
                #expect(try repos.jsonDocuments().compactMap { $0.string("name") } == ["images"])
            }
        }

        @Test("a bad spec is refused naming the field, and nothing is created")
        func badSpecNamesTheField() async throws {
            try await TestCluster.with(nodes: 1) { cluster in
                try await cluster.pachctlOK(["create", "repo", "images"], via: [1])
                let spec = cluster.root + "/bad.json"
                try Self.upperSpec.replacingOccurrences(of: "\"glob\": \"/*\"", with: "\"glob\": \"/*\", \"colour\": 1")
                    .write(toFile: spec, atomically: true, encoding: .utf8)
                let result = try await cluster.pachctl(["create", "pipeline", "-f", spec], via: [1])
                #expect(result.failed && result.stderr.contains("colour"), "\(result)")
                let pipelines = try await cluster.pachctlOK(["list", "pipeline", "-o", "json"], via: [1])
                #expect(try pipelines.jsonDocuments().isEmpty, "\(pipelines)")
            }
        }

        @Test("a node killed while it runs part of a job: its batch moves to a live node and the job succeeds")
        func aLostNodesBatchMoves() async throws {
            try await TestCluster.with(nodes: 3, extraArguments: ["--down-after", "2s", "--worker-slots", "1"]) { cluster in
                let source = cluster.root + "/images"
                try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
                for index in 0..<6 { try "file \(index)\n".write(toFile: "\(source)/f\(index)", atomically: true, encoding: .utf8) }
                try await cluster.pachctlOK(["create", "repo", "images"], via: [1])
                try await cluster.pachctlOK(["put", "file", "images@master:/", "-r", "-f", source], via: [1])
                let spec = cluster.root + "/slow.json"
                try Self.upperSpec.replacingOccurrences(of: "for f in", with: "sleep 3; for f in")
                    .write(toFile: spec, atomically: true, encoding: .utf8)
                try await cluster.pachctlOK(["create", "pipeline", "-f", spec], via: [1])
                // Kill a node that is not the leader once the job is planned (its batches are running).
                var victim: Int?
                for _ in 0..<200 where victim == nil {
                    let jobs = try await cluster.pachctlOK(["list", "job", "-p", "upper", "-o", "json"], via: [1])
                    if let job = try jobs.jsonDocuments().first, job.string("state") == "running",
                       let status = try await cluster.clusterStatus(via: 1) {
                        victim = [1, 2, 3].first { $0 != status.leaderID }
                    }
                    try await Task.sleep(for: .milliseconds(100))
                }
                let killed = try #require(victim, "the job never ran")
                await cluster.kill(killed)
                let survivor = [1, 2, 3].first { $0 != killed }!
                let job = try await Self.nextJob(cluster, pipeline: "upper", after: nil, via: survivor)
                #expect(job.string("state") == "success" && job.int("datums_processed") == 6, "\(job.fields)")
                let listing = try await cluster.pachctlOK(["list", "file", "upper@master", "-o", "json"], via: [survivor])
                #expect(try listing.jsonDocuments().count == 6, "\(listing)")
            }
        }
    }
}

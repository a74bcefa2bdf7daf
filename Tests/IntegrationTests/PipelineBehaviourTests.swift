import Foundation
import Testing

extension IntegrationTests {
    /// What pipelines promise beyond one job: chains with `wait commit`, failures that travel downstream,
    /// retries and accepted exit codes, the code's environment, stopping and restarting running datums,
    /// bad commands refused up front, and a leader lost mid-job.
    @Suite("Pipeline behaviour")
    struct PipelineBehaviour {
        static func write(_ files: [String: String], under folder: String) throws {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for (name, text) in files { try text.write(toFile: "\(folder)/\(name)", atomically: true, encoding: .utf8) }
        }

        static func spec(_ name: String, input: String, glob: String = "/*", script: String, extra: String = "") -> String {
            let escaped = script.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return """
                {"pipeline": {"name": "\(name)"}, "transform": {"cmd": ["sh", "-c", "\(escaped)"]},
                 "input": {"pfs": {"repo": "\(input)", "glob": "\(glob)"}}\(extra)}
                """
        }

        static func create(_ cluster: TestCluster, _ spec: String, via node: Int = 1) async throws {
            let file = cluster.root + "/spec-\(UUID().uuidString).json"
            try spec.write(toFile: file, atomically: true, encoding: .utf8)
            try await cluster.pachctlOK(["create", "pipeline", "-f", file], via: [node])
        }

        /// Pids of processes whose command line is exactly `command` (user code is visible from the host).
        static func processes(_ command: String) -> [Int32] {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
            return entries.compactMap(Int32.init).filter { pid in
                guard let raw = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
                return raw.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ") == command
            }
        }

        static func until(_ what: String, _ condition: () async throws -> Bool) async throws {
            for _ in 0..<600 {
                if try await condition() { return }
                try await Task.sleep(for: .milliseconds(100))
            }
            throw HarnessError("timed out waiting until \(what)")
        }

        @Test("chained pipelines: wait commit on an input returns every downstream commit finished; a failed job fails the jobs downstream, naming it")
        func chainsWaitCommitAndUpstreamFailure() async throws {
            try await TestCluster.with(nodes: 3) { cluster in
                let source = cluster.root + "/images"
                try Self.write(["a": "alpha\n", "b": "beta\n"], under: source)
                try await cluster.pachctlOK(["create", "repo", "images"], via: [1])
                try await Self.create(cluster, Self.spec("upper", input: "images",
                                                         script: "tr a-z A-Z < \"$images\" > out/$(basename \"$images\")"))
                try await Self.create(cluster, Self.spec("sizes", input: "upper", glob: "/",
                                                         script: "cat upper/* | wc -c > out/total"), via: 2)
                try await cluster.pachctlOK(["put", "file", "images@master:/", "-r", "-f", source], via: [3])
                let head = try #require(try await cluster.pachctlOK(["inspect", "commit", "images@master", "-o", "json"], via: [1])
                    .jsonDocuments().first?.string("id"))
                // Waited for at once: neither job has started yet, and the call still covers both.
                let waited = try await cluster.pachctl(["wait", "commit", "images@\(head)", "-o", "json"], via: [2],
                                                       timeout: .seconds(300))
                let commits = try waited.jsonDocuments()
                #expect(commits.map { $0.string("repo") ?? "" } == ["images", "upper", "sizes"], "\(waited)")
                #expect(commits.allSatisfy { $0.string("finished") != nil }, "\(waited)")
                #expect(try await cluster.pachctlOK(["get", "file", "sizes@master:/total"], via: [3]).stdout
                    .trimmingCharacters(in: .whitespacesAndNewlines) == "11")

                // A pipeline whose code always fails, and one reading its output.
                try await Self.create(cluster, Self.spec("broken", input: "images", script: "echo no >&2; exit 4",
                                                         extra: #", "datum_tries": 2"#))
                try await Self.create(cluster, Self.spec("after", input: "broken", glob: "/", script: "true"))
                try await Self.until("after has a job that ended") {
                    let jobs = try await cluster.pachctlOK(["list", "job", "-p", "after", "-o", "json"], via: [1]).jsonDocuments()
                    return jobs.first.map { ["failure", "success", "killed"].contains($0.string("state") ?? "") } ?? false
                }
                let broken = try #require(try await cluster.pachctlOK(["list", "job", "-p", "broken", "-o", "json"], via: [2])
                    .jsonDocuments().first)
                #expect(broken.string("state") == "failure" && broken.int("datums_failed") == 2, "\(broken.fields)")
                let brokenID = try #require(broken.string("id"))
                let datums = try await cluster.pachctlOK(["list", "datum", brokenID, "-o", "json"], via: [3]).jsonDocuments()
                #expect(datums.map { $0.int("attempts") ?? 0 } == [2, 2], "datum_tries: \(datums.map(\.fields))")
                #expect(datums.allSatisfy { ($0.string("reason") ?? "").contains("exit 4") })
                let after = try #require(try await cluster.pachctlOK(["list", "job", "-p", "after", "-o", "json"], via: [1])
                    .jsonDocuments().first)
                #expect(after.string("state") == "failure", "\(after.fields)")
                #expect((after.string("reason") ?? "").contains("inputs failed: broken@\(brokenID)"), "\(after.fields)")
                let output = try await cluster.pachctlOK(["inspect", "commit", "broken@master", "-o", "json"], via: [2])
                #expect(try output.jsonDocuments().first?.int("size_bytes") == 0, "a failed job's output commit is empty")
            }
        }

        @Test("every input commit gets a job of its own, also those that land while a job runs; its output commit names it")
        func oneJobPerInputCommit() async throws {
            try await TestCluster.with(nodes: 3) { cluster in
                try Self.write(["a": "1\n"], under: cluster.root + "/images")
                try await cluster.pachctlOK(["create", "repo", "images"], via: [1])
                try await cluster.pachctlOK(["put", "file", "images@master:/a", "-f", cluster.root + "/images/a"], via: [1])
                try await Self.create(cluster, Self.spec("slow", input: "images", glob: "/",
                                                         script: "sleep 1; ls images | wc -l > out/count"))
                // Three commits while the first job sleeps.
                var commits: [String] = []
                for name in ["b", "c", "d"] {
                    try "\(name)\n".write(toFile: cluster.root + "/images/\(name)", atomically: true, encoding: .utf8)
                    try await cluster.pachctlOK(["put", "file", "images@master:/\(name)", "-f", cluster.root + "/images/\(name)"],
                                                via: [2])
                    let head = try await cluster.pachctlOK(["inspect", "commit", "images@master", "-o", "json"], via: [2])
                    commits.append(try #require(try head.jsonDocuments().first?.string("id")))
                }
                // Waiting on the middle commit returns the output commit made for it.
                let waited = try await cluster.pachctl(["wait", "commit", "images@\(commits[1])", "-o", "json"], via: [3],
                                                       timeout: .seconds(300))
                let output = try #require(try waited.jsonDocuments().first { $0.string("repo") == "slow" }, "\(waited)")
                let outputID = try #require(output.string("id"))
                let info = try await cluster.pachctlOK(["inspect", "commit", "slow@\(outputID)", "-o", "json"], via: [1])
                #expect(info.stdout.contains(commits[1]) && !info.stdout.contains(commits[2]), "\(info)")
                #expect(try await cluster.pachctlOK(["get", "file", "slow@\(outputID):/count"], via: [2]).stdout == "3\n")
                try await Self.until("a job ran on every commit") {
                    let jobs = try await cluster.pachctlOK(["list", "job", "-p", "slow", "-o", "json"], via: [1]).jsonDocuments()
                    return jobs.count == 4 && jobs.allSatisfy { $0.string("state") == "success" }
                }
                let jobs = try await cluster.pachctlOK(["list", "job", "-p", "slow", "-o", "json"], via: [1]).jsonDocuments()
                let ran = jobs.compactMap { $0.objects("inputs").first?.string("commit") }
                #expect(Set(commits).isSubset(of: Set(ran)), "jobs ran on \(ran), commits \(commits)")
            }
        }

        @Test("the code sees its job, datum and input path in the environment; accept_return_code counts an exit code as success; two datums writing one path fail the job, naming both")
        func environmentAndAcceptedCodes() async throws {
            try await TestCluster.with(nodes: 3) { cluster in
                try Self.write(["a": "1\n", "b": "2\n"], under: cluster.root + "/images")
                try await cluster.pachctlOK(["create", "repo", "images"], via: [1])
                try await cluster.pachctlOK(["put", "file", "images@master:/", "-r", "-f", cluster.root + "/images"], via: [1])
                let script = "echo \"$PACH_JOB_ID $PACH_OUTPUT_COMMIT_ID $PACH_DATUM_ID $images\" > out/$(basename \"$images\"); exit 3"
                try await Self.create(cluster, Self.spec("env", input: "images", script: script))
                // Exit 3 is a failure until the spec accepts it.
                let failed = try await Pipelines.nextJob(cluster, pipeline: "env", after: nil)
                #expect(failed.string("state") == "failure", "\(failed.fields)")
                let accepting = Self.spec("env", input: "images", script: script)
                    .replacingOccurrences(of: #""cmd": ["#, with: #""accept_return_code": [3], "cmd": ["#)
                let file = cluster.root + "/env2.json"
                try accepting.write(toFile: file, atomically: true, encoding: .utf8)
                try await cluster.pachctlOK(["update", "pipeline", "-f", file], via: [2])
                let job = try await Pipelines.nextJob(cluster, pipeline: "env", after: failed.string("id"))
                #expect(job.string("state") == "success", "\(job.fields)")
                let id = try #require(job.string("id"))
                let datums = try await cluster.pachctlOK(["list", "datum", id, "-o", "json"], via: [3]).jsonDocuments()
                for name in ["a", "b"] {
                    let line = try await cluster.pachctlOK(["get", "file", "env@master:/\(name)"], via: [1]).stdout
                    let words = line.split(separator: " ").map(String.init)
                    #expect(words.count == 4 && words[0] == id && words[1] == id, "\(line)")
                    let datum = datums.first { $0.strings("paths") == ["images:/\(name)"] }
                    #expect(words.count == 4 && words[2] == datum?.string("id"), "\(line) vs \(datums.map(\.fields))")
                    #expect(words.last?.trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix("/images/\(name)") == true, "\(line)")
                }
                // Two datums writing one path fail the job, naming both.
                try await Self.create(cluster, Self.spec("clash", input: "images", script: "cp \"$images\" out/same"))
                let clash = try await Pipelines.nextJob(cluster, pipeline: "clash", after: nil)
                let reason = clash.string("reason") ?? ""
                let ids = try await cluster.pachctlOK(["list", "datum", try #require(clash.string("id")), "-o", "json"], via: [2])
                    .jsonDocuments().compactMap { $0.string("id").map { String($0.prefix(12)) } }
                #expect(clash.string("state") == "failure" && reason.contains("both wrote /same"), "\(clash.fields)")
                #expect(ids.count == 2 && ids.allSatisfy { reason.contains($0) }, "\(reason) vs \(ids)")
            }
        }

        @Test("restart datum kills the running code and runs it again; stop job kills it for good and leaves the output empty")
        func restartAndStopKillRunningCode() async throws {
            try await TestCluster.with(nodes: 3) { cluster in
                try Self.write(["only": "x\n"], under: cluster.root + "/images")
                try await cluster.pachctlOK(["create", "repo", "images"], via: [1])
                try await cluster.pachctlOK(["put", "file", "images@master:/", "-r", "-f", cluster.root + "/images"], via: [1])
                let sleeper = "sleep 86399"
                try await Self.create(cluster, Self.spec("slow", input: "images", script: "exec \(sleeper)"))
                var first: [Int32] = []
                try await Self.until("the datum's code runs") {
                    first = Self.processes(sleeper)
                    return first.count == 1
                }
                let job = try #require(try await cluster.pachctlOK(["list", "job", "-p", "slow", "-o", "json"], via: [1])
                    .jsonDocuments().first?.string("id"))
                let unknown = try await cluster.pachctl(["restart", "datum", job, "/nope"], via: [2])
                #expect(unknown.failed && unknown.stderr.contains("no datum"), "\(unknown)")
                try await cluster.pachctlOK(["restart", "datum", job, "/only"], via: [2])
                try await Self.until("a new run replaces the old one") {
                    let now = Self.processes(sleeper)
                    return now.count == 1 && now != first
                }
                try await cluster.pachctlOK(["stop", "job", job], via: [3])
                try await Self.until("the code is gone") { Self.processes(sleeper).isEmpty }
                let stopped = try #require(try await cluster.pachctlOK(["inspect", "job", job, "-o", "json"], via: [1])
                    .jsonDocuments().first)
                #expect(stopped.string("state") == "killed", "\(stopped.fields)")
                let output = try await cluster.pachctlOK(["inspect", "commit", "slow@master", "-o", "json"], via: [2])
                #expect(try output.jsonDocuments().first?.string("finished") != nil, "\(output)")
                let again = try await cluster.pachctl(["restart", "datum", job, "/only"], via: [1])
                #expect(again.failed && again.stderr.contains("killed"), "\(again)")
            }
        }

        @Test("a command that does not exist is refused when the pipeline is created, and nothing is created")
        func missingCommandIsRefused() async throws {
            try await TestCluster.with(nodes: 3) { cluster in
                try await cluster.pachctlOK(["create", "repo", "images"], via: [1])
                let file = cluster.root + "/bad.json"
                try #"{"pipeline": {"name": "typo"}, "transform": {"cmd": ["pyhton3", "x.py"]}, "input": {"pfs": {"repo": "images", "glob": "/*"}}}"#
                    .write(toFile: file, atomically: true, encoding: .utf8)
                let refused = try await cluster.pachctl(["create", "pipeline", "-f", file], via: [2])
                #expect(refused.failed && refused.stderr.contains("transform.cmd[0]: pyhton3 is not found in PATH"), "\(refused)")
                #expect(try await cluster.pachctlOK(["list", "pipeline", "-o", "json"], via: [1]).jsonDocuments().isEmpty)
                let repos = try await cluster.pachctlOK(["list", "repo", "-o", "json"], via: [3]).jsonDocuments()
                #expect(repos.compactMap { $0.string("name") } == ["images"])
            }
        }

        @Test("the leader killed mid-job: the new leader's coordinator finishes the job with every datum exactly once")
        func leaderKilledMidJob() async throws {
            try await TestCluster.with(nodes: 3, extraArguments: ["--down-after", "2s", "--worker-slots", "1"]) { cluster in
                let files = Dictionary(uniqueKeysWithValues: (0..<6).map { ("f\($0)", "file \($0)\n") })
                try Self.write(files, under: cluster.root + "/images")
                try await cluster.pachctlOK(["create", "repo", "images"], via: [1])
                try await cluster.pachctlOK(["put", "file", "images@master:/", "-r", "-f", cluster.root + "/images"], via: [1])
                try await Self.create(cluster, Self.spec("slow", input: "images",
                                                         script: "sleep 3; tr a-z A-Z < \"$images\" > out/$(basename \"$images\")"))
                var leader: Int?
                try await Self.until("the job runs") {
                    let jobs = try await cluster.pachctlOK(["list", "job", "-p", "slow", "-o", "json"], via: [1]).jsonDocuments()
                    guard jobs.first?.string("state") == "running" else { return false }
                    leader = try await cluster.clusterStatus(via: 1)?.leaderID
                    return leader != nil
                }
                let killed = try #require(leader)
                await cluster.kill(killed)
                let survivor = [1, 2, 3].first { $0 != killed }!
                let job = try await Pipelines.nextJob(cluster, pipeline: "slow", after: nil, via: survivor)
                #expect(job.string("state") == "success" && job.int("datums_processed") == 6, "\(job.fields)")
                let listing = try await cluster.pachctlOK(["list", "file", "slow@master", "-o", "json"], via: [survivor])
                #expect(try listing.jsonDocuments().compactMap { $0.string("path") ?? $0.string("name") }.count == 6, "\(listing)")
                #expect(try await cluster.pachctlOK(["get", "file", "slow@master:/f3"], via: [survivor]).stdout == "FILE 3\n")
            }
        }

        /// With R < N each chunk is on some nodes only: the scheduler sends each datum where its bytes are.
        @Test("locality: with R = 1 and R = 2 on 3 nodes at least 90% of the input bytes are read locally", arguments: [1, 2])
        func localityWithFewerReplicasThanNodes(replicas: Int) async throws {
            try await TestCluster.with(nodes: 3, extraArguments: ["--replication-factor", "\(replicas)"]) { cluster in
                let folder = cluster.root + "/images"
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                // 60 files of 64 KiB with fixed contents: the same chunks, so the same placement, every run.
                for index in 0..<60 {
                    let line = "file \(index) of the locality test\n"
                    let text = String(repeating: line, count: (64 << 10) / line.utf8.count + 1)
                    try text.write(toFile: "\(folder)/f\(index)", atomically: true, encoding: .utf8)
                }
                try await cluster.pachctlOK(["create", "repo", "images"], via: [1])
                try await cluster.pachctlOK(["put", "file", "images@master:/", "-r", "-f", folder], via: [2])
                try await Self.create(cluster, Self.spec("copy", input: "images", script: "cp \"$images\" out/"))
                let job = try await Pipelines.nextJob(cluster, pipeline: "copy", after: nil)
                #expect(job.string("state") == "success" && job.int("datums_processed") == 60, "\(job.fields)")
                let local = Double(job.int("local_bytes") ?? 0)
                let remote = Double(job.int("remote_bytes") ?? 0)
                #expect(local + remote >= 60 * 65_536, "\(job.fields)")
                #expect(local / max(1, local + remote) >= 0.9, "R = \(replicas): \(local) local, \(remote) remote")
                let datums = try await cluster.pachctlOK(["list", "datum", try #require(job.string("id")), "-o", "json"], via: [3])
                let documents = try datums.jsonDocuments()
                let nodes = Set(documents.compactMap { $0.int("node") })
                #expect(nodes == [1, 2, 3], "every node took a share: \(nodes)")
                // Each datum records its own split; they add up to the job's.
                #expect(documents.reduce(0) { $0 + ($1.int("local_bytes") ?? 0) } == Int(local))
                #expect(documents.reduce(0) { $0 + ($1.int("remote_bytes") ?? 0) } == Int(remote))
                print("locality, R = \(replicas) on 3 nodes: \(Int(local)) bytes local, \(Int(remote)) remote "
                    + "(\(Int(local * 100 / max(1, local + remote)))%)")
            }
        }
    }
}

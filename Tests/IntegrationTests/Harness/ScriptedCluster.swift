import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A cluster made and driven by `scripts/cluster.sh` exactly as a user would (`up 3 --netns`, `partition`,
/// `heal`, `down --purge`), with the binaries under test, in a folder, port base, namespace tag and
/// subnet of its own. `with` always tears it down and deletes the folder, also when the test throws.
final class ScriptedCluster: Sendable {
    let root: String
    let binaries: Binaries
    let portBase: Int
    /// The namespace and link prefix (`pach<portBase>`) and the nodes' subnet (three octets).
    let tag: String
    let subnet: String

    /// Why a --netns cluster cannot run here, or nil when it can (root, ip, nft).
    static var netnsSkipReason: String? {
        if getuid() != 0 { return "network namespaces need root" }
        for tool in ["/usr/sbin/ip", "/usr/sbin/nft"] where !FileManager.default.isExecutableFile(atPath: tool) {
            return "\(tool) is missing (scripts/test.sh installs iproute2 and nftables)"
        }
        return nil
    }

    /// Why a `--netns --disk-mib` cluster cannot run here, or nil when it can (also mkfs.ext4 and loop
    /// devices).
    static var disksSkipReason: String? {
        if let reason = netnsSkipReason { return reason }
        if !["/usr/sbin/mkfs.ext4", "/sbin/mkfs.ext4"].contains(where: FileManager.default.isExecutableFile(atPath:)) {
            return "mkfs.ext4 is missing (scripts/test.sh installs e2fsprogs)"
        }
        if !FileManager.default.fileExists(atPath: "/dev/loop-control") { return "this machine has no loop devices (/dev/loop-control)" }
        return nil
    }

    static func with<T>(_ body: (ScriptedCluster) async throws -> T) async throws -> T {
        let cluster = try ScriptedCluster()
        await cluster.removeNetwork()  // what a crashed run with the same tag may have left
        do {
            let result = try await body(cluster)
            await cluster.tearDown()
            return result
        } catch {
            await cluster.tearDown(keep: true)
            throw error
        }
    }

    init() throws {
        binaries = try Binaries.require()
        StaleClusters.sweepOnce()
        root = try StaleClusters.makeRoot()
        // Ports inside the namespaces cannot clash with this host's; the base only names the network.
        let slot = Int(getpid()) % 400
        portBase = 40_000 + slot * 10
        tag = "pach\(portBase)"
        subnet = "10.202.\(slot % 250)"
    }

    /// Runs `scripts/cluster.sh arguments` against this cluster; killed after `timeout`.
    func script(_ arguments: [String], timeout: Duration = .seconds(120)) async throws -> PachctlResult {
        var environment = TestCluster.baseEnvironment()
        environment["PACH_CLUSTER_DIR"] = root + "/cluster"
        environment["PACH_PORT_BASE"] = String(portBase)
        environment["PACH_NETNS_SUBNET"] = subnet
        environment["PACH_BIN_DIR"] = (binaries.pachd as NSString).deletingLastPathComponent
        return try await run("/bin/bash", [RepoPaths.root + "/scripts/cluster.sh"] + arguments,
                             environment: environment, timeout: timeout)
    }

    /// Like `script`, but a failure throws.
    @discardableResult
    func scriptOK(_ arguments: [String], timeout: Duration = .seconds(120)) async throws -> PachctlResult {
        let result = try await script(arguments, timeout: timeout)
        guard result.succeeded else { throw HarnessError("expected success: \(result)") }
        return result
    }

    /// Node `k`'s API address on its own host.
    func apiAddress(_ k: Int) -> String { "\(subnet).\(k):\(portBase + k)" }

    /// pachctl against the API addresses of `nodes`, with the cluster's CA and admin token.
    func pachctl(_ arguments: [String], via nodes: [Int], timeout: Duration = .seconds(40)) async throws -> PachctlResult {
        var environment = TestCluster.baseEnvironment()
        environment["PACHD_ADDRESS"] = nodes.map(apiAddress).joined(separator: ",")
        environment["PACH_CA"] = root + "/cluster/tls/ca.crt"
        environment["PACH_TOKEN"] = try String(contentsOfFile: root + "/cluster/admin-token", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return try await run(binaries.pachctl, arguments, environment: environment, timeout: timeout)
    }

    @discardableResult
    func pachctlOK(_ arguments: [String], via nodes: [Int]) async throws -> PachctlResult {
        let result = try await pachctl(arguments, via: nodes)
        guard result.succeeded else { throw HarnessError("expected success: \(result)") }
        return result
    }

    /// Whether node `k`'s recorded pachd process exists (a paused one counts; a zombie does not).
    func isRunning(_ k: Int) -> Bool {
        guard let text = try? String(contentsOfFile: "\(root)/cluster/node\(k)/pid", encoding: .utf8),
              let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)),
              let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        else { return false }
        // The state is the first field after the command's closing parenthesis.
        guard let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).prefix(1)
        return state != "Z" && state != "X"
    }

    /// The leader one running node names right now, or nil (one quick call, for fault injection).
    func currentLeader(asking nodes: [Int]) async -> Int? {
        for k in nodes.shuffled() {
            guard let result = try? await pachctl(["cluster", "status", "-o", "json", "--timeout", "2s"], via: [k], timeout: .seconds(8)),
                  result.succeeded, let document = try? result.jsonDocuments().first,
                  let leader = ClusterStatus(document).leaderID
            else { continue }
            return leader
        }
        return nil
    }

    /// The leader that node `k` and the leader itself agree on, within `timeout`.
    func waitForLeader(among candidates: [Int], timeout: Duration = .seconds(30)) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        var last = "no answer yet"
        while ContinuousClock.now < deadline {
            for k in candidates {
                let result = try await pachctl(["cluster", "status", "-o", "json", "--timeout", "2s"], via: [k], timeout: .seconds(10))
                guard result.succeeded, let document = try result.jsonDocuments().first,
                      let leader = ClusterStatus(document).leaderID, candidates.contains(leader)
                else {
                    last = "node \(k): \(result.stdout)\(result.stderr)"
                    continue
                }
                let own = try await pachctl(["cluster", "status", "-o", "json", "--timeout", "2s"], via: [leader], timeout: .seconds(10))
                if own.succeeded, let document = try own.jsonDocuments().first, ClusterStatus(document).leaderID == leader {
                    return leader
                }
                last = "node \(k) names leader \(leader), which does not agree yet"
            }
            try await Task.sleep(for: .milliseconds(300))
        }
        throw HarnessError("no leader among \(candidates) within \(timeout): \(last)")
    }

    /// The namespaces and links of this cluster's network that exist now (none after `down`).
    func leftovers() async throws -> [String] {
        let result = try await run(
            "/bin/bash", ["-c", "source \"$0\"; netns_leftovers \"$1\"", RepoPaths.root + "/scripts/lib/netns.sh", tag],
            environment: TestCluster.baseEnvironment(), timeout: .seconds(20))
        return result.stdout.split(separator: "\n").map(String.init)
    }

    /// `down --purge`; whatever it leaves of the network is deleted too. The folder goes unless `keep`
    /// (a failed test's logs) or PACH_IT_KEEP is set.
    func tearDown(keep: Bool = false) async {
        let keeping = keep || ProcessInfo.processInfo.environment["PACH_IT_KEEP"] == "1"
        // A failed run keeps the nodes' data and logs (down without --purge also unmounts the disks).
        _ = try? await script(keeping ? ["down"] : ["down", "--purge"], timeout: .seconds(60))
        await removeNetwork()
        StaleClusters.unmountAll(under: root)  // what a failed `down` left mounted
        // Flush what the run left dirty, so its writeback does not slow the next test's fsyncs.
        _ = try? await run("/bin/sync", [], environment: TestCluster.baseEnvironment(), timeout: .seconds(60))
        if keeping {
            print("kept \(root) (the cluster's logs: \(root)/cluster/node<K>/pachd.log)")
        } else {
            try? FileManager.default.removeItem(atPath: root)
        }
    }

    /// Deletes this cluster's namespaces (killing what runs in them), links and bridge.
    func removeNetwork() async {
        _ = try? await run(
            "/bin/bash", ["-c", "source \"$0\"; netns_down \"$1\"", RepoPaths.root + "/scripts/lib/netns.sh", tag],
            environment: TestCluster.baseEnvironment(), timeout: .seconds(30))
    }

    private func run(_ executable: String, _ arguments: [String], environment: [String: String],
                     timeout: Duration) async throws -> PachctlResult {
        let name = "\(root)/run-\(UUID().uuidString.prefix(8))"
        let started = ContinuousClock.now
        let child = try ChildProcess(executable: executable, arguments: arguments, environment: environment,
                                     stdoutPath: name + ".out", stderrPath: name + ".err")
        let status = await child.waitForExit(timeout: timeout)
        if status == nil { child.killAndReap() }
        let stdout = (try? String(contentsOfFile: name + ".out", encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: name + ".err", encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: name + ".out")
        try? FileManager.default.removeItem(atPath: name + ".err")
        return PachctlResult(arguments: arguments, address: environment["PACHD_ADDRESS"] ?? "-", exitCode: status,
                             stdout: stdout, stderr: stderr, elapsed: ContinuousClock.now - started)
    }
}

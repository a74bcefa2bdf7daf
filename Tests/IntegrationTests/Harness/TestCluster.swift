import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A cluster of real `pachd` processes on 127.0.0.1 for one test: its own temp dir, free ports, CA,
/// node certificates, cluster id and admin token. `with(nodes:)` starts it, runs the test and kills
/// every process and deletes the folder afterwards, also when the test throws.
///
/// Set `PACH_IT_KEEP=1` to keep the folders (they are printed), `PACH_IT_LOG_LEVEL` for pachd's log level.
final class TestCluster: Sendable {
    /// One pachd's fixed settings.
    struct Node: Sendable {
        let id: Int
        let apiPort: Int
        let peerPort: Int
        let metricsPort: Int
        let directory: String

        var apiAddress: String { "127.0.0.1:\(apiPort)" }
        var peerAddress: String { "127.0.0.1:\(peerPort)" }
        var metricsAddress: String { "127.0.0.1:\(metricsPort)" }
        var outputPath: String { directory + "/pachd.out" }
        var logPath: String { directory + "/pachd.log" }
    }

    /// Which token pachctl presents.
    enum Token: Sendable {
        case admin
        case none
        case value(String)
    }

    let root: String
    let binaries: Binaries
    let ca: CertificateAuthority
    let clusterID: String
    let token: String
    let tokenFile: String
    /// The founding voters, ids 1...N.
    let founders: [Node]
    /// Appended to every node's command line.
    let extraArguments: [String]

    private struct State {
        var nodes: [Int: Node] = [:]
        var processes: [Int: ChildProcess] = [:]
        var commandLines: [Int: [String]] = [:]
        var calls = 0
        var closed = false
    }
    private let state = Mutex(State())

    // MARK: Life cycle

    /// Runs `body` with a cluster of `count` founders; when `start`, they are started and a leader is
    /// elected first. Everything is killed and deleted afterwards, whatever happens.
    static func with<T>(
        nodes count: Int, start: Bool = true, extraArguments: [String] = [], _ body: (TestCluster) async throws -> T
    ) async throws -> T {
        let cluster = try await TestCluster(nodes: count, extraArguments: extraArguments)
        do {
            if start { try await cluster.startAll() }
            let result = try await body(cluster)
            cluster.shutdown(failed: false)
            return result
        } catch {
            cluster.shutdown(failed: true)
            throw error
        }
    }

    /// Makes the folder, certificates, id and token of a cluster of `count` founders; starts nothing.
    /// `extraArguments` go on every node's command line (e.g. `--down-after 2s`).
    init(nodes count: Int, extraArguments: [String] = []) async throws {
        self.extraArguments = extraArguments
        precondition((1...9).contains(count), "a test cluster has 1 to 9 founders, not \(count)")
        binaries = try Binaries.require()
        StaleClusters.sweepOnce()
        root = try StaleClusters.makeRoot()
        ca = try await CertificateAuthority.make(in: root + "/tls", name: "pachyderm-swift test CA")
        clusterID = RandomHex.make(bytes: 16)
        token = RandomHex.make(bytes: 32)
        tokenFile = root + "/admin-token"
        guard FileManager.default.createFile(
            atPath: tokenFile, contents: Data(token.utf8), attributes: [.posixPermissions: 0o600])
        else { throw HarnessError("cannot write \(tokenFile)") }
        let ports = try FreePorts.take(count * 3)
        var nodes: [Node] = []
        for index in 0..<count {
            let id = index + 1
            nodes.append(Node(
                id: id, apiPort: ports[index * 3], peerPort: ports[index * 3 + 1], metricsPort: ports[index * 3 + 2],
                directory: "\(root)/node\(id)"))
            try await ca.issue(node: id)
        }
        founders = nodes
        state.withLock { state in
            for node in nodes { state.nodes[node.id] = node }
        }
    }

    deinit {
        shutdown(failed: false)
    }

    /// Starts every founder and waits for a leader that serves reads.
    func startAll() async throws {
        for node in founders { try start(node.id) }
        _ = try await waitForLeader()
    }

    /// Kills every process (SIGKILL) and deletes the folder unless PACH_IT_KEEP is set. On failure, the
    /// tail of each node's output and log is printed first. Idempotent; never throws.
    func shutdown(failed: Bool) {
        let (processes, nodes) = state.withLock { state -> ([ChildProcess], [Node]) in
            if state.closed { return ([], []) }
            state.closed = true
            return (Array(state.processes.values), state.nodes.values.sorted { $0.id < $1.id })
        }
        if processes.isEmpty && nodes.isEmpty { return }
        for process in processes { process.send(SIGKILL) }
        for process in processes { process.killAndReap() }
        if failed {
            for node in nodes { print(diagnostics(node)) }
        }
        if ProcessInfo.processInfo.environment["PACH_IT_KEEP"] == "1" {
            print("TestCluster: kept \(root)")
        } else {
            // A killed node leaves its FUSE view of datum inputs mounted (dead) under its folder.
            StaleClusters.unmountAll(under: root)
            try? FileManager.default.removeItem(atPath: root)
        }
    }

    // MARK: Nodes

    func node(_ id: Int) -> Node {
        guard let node = state.withLock({ $0.nodes[id] }) else {
            preconditionFailure("no node \(id) in this test cluster")
        }
        return node
    }

    /// The ids of nodes whose process is running.
    var runningIDs: [Int] {
        state.withLock { state in state.processes.filter { $0.value.isRunning }.map(\.key).sorted() }
    }

    func isRunning(_ id: Int) -> Bool {
        state.withLock { $0.processes[id]?.isRunning ?? false }
    }

    /// A node that is not a founder (ports and folder only), e.g. one that tries to join.
    func addNode(id: Int) throws -> Node {
        let ports = try FreePorts.take(3)
        let node = Node(id: id, apiPort: ports[0], peerPort: ports[1], metricsPort: ports[2], directory: "\(root)/node\(id)")
        try state.withLock { state in
            guard state.nodes[id] == nil else { throw HarnessError("node \(id) exists already") }
            state.nodes[id] = node
        }
        return node
    }

    /// The `--peers` value naming every founder.
    var foundersPeerList: String {
        founders.map { "\($0.id)=\($0.peerAddress)" }.joined(separator: ",")
    }

    /// pachd's command line for `node` (without the executable), as `scripts/cluster.sh` builds it.
    func arguments(
        for node: Node, certificates: CertificateAuthority? = nil, clusterID: String? = nil,
        peers: String? = nil, join: Bool = false
    ) -> [String] {
        let certificates = certificates ?? ca
        let level = ProcessInfo.processInfo.environment["PACH_IT_LOG_LEVEL"] ?? "info"
        var arguments = [
            "--id", String(node.id), "--data-dir", node.directory,
            "--api-address", node.apiAddress, "--peer-address", node.peerAddress,
            "--metrics-address", node.metricsAddress,
            "--peers", peers ?? foundersPeerList,
            "--cluster-id", clusterID ?? self.clusterID,
            "--tls-cert", certificates.certificate(node: node.id), "--tls-key", certificates.key(node: node.id),
            "--tls-ca", ca.caCertificate,
            "--admin-token-file", tokenFile,
            "--log-level", level, "--log-file", node.logPath,
        ]
        if join { arguments.append("--join") }
        return arguments + extraArguments
    }

    /// Starts node `id` with `arguments` (default: `arguments(for:)`) and records them for `restart`.
    func start(_ id: Int, arguments custom: [String]? = nil) throws {
        let node = node(id)
        let arguments = custom ?? self.arguments(for: node)
        try FileManager.default.createDirectory(atPath: node.directory, withIntermediateDirectories: true)
        try state.withLock { state in
            if let running = state.processes[id], running.isRunning {
                throw HarnessError("node \(id) is already running (pid \(running.pid))")
            }
            if state.closed { throw HarnessError("the cluster is shut down") }
            let process = try ChildProcess(
                executable: binaries.pachd, arguments: arguments, environment: Self.baseEnvironment(),
                stdoutPath: node.outputPath, stderrPath: node.outputPath, workingDirectory: root)
            state.processes[id] = process
            state.commandLines[id] = arguments
            try? "\(process.pid)\n".write(toFile: node.directory + "/pid", atomically: true, encoding: .utf8)
        }
    }

    /// Starts node `id` again with exactly the arguments of its last start.
    func restart(_ id: Int) throws {
        guard let arguments = state.withLock({ $0.commandLines[id] }) else {
            throw HarnessError("node \(id) was never started")
        }
        try start(id, arguments: arguments)
    }

    /// SIGKILL, then waits until the process is gone.
    func kill(_ id: Int) async {
        guard let process = state.withLock({ $0.processes[id] }) else { return }
        process.send(SIGKILL)
        await process.waitForExit(timeout: .seconds(10))
    }

    /// SIGTERM (graceful), then waits up to `timeout`; returns the exit status, nil if still running.
    @discardableResult
    func stop(_ id: Int, timeout: Duration = .seconds(15)) async -> Int32? {
        guard let process = state.withLock({ $0.processes[id] }) else { return nil }
        process.send(SIGTERM)
        process.send(SIGCONT)
        return await process.waitForExit(timeout: timeout)
    }

    /// SIGSTOP / SIGCONT.
    func pause(_ id: Int) { state.withLock { $0.processes[id] }?.send(SIGSTOP) }
    func resume(_ id: Int) { state.withLock { $0.processes[id] }?.send(SIGCONT) }

    /// Waits until node `id`'s process exits by itself; returns its status, nil on timeout.
    func waitForExit(_ id: Int, timeout: Duration) async -> Int32? {
        guard let process = state.withLock({ $0.processes[id] }) else { return nil }
        return await process.waitForExit(timeout: timeout)
    }

    /// Everything node `id` wrote to stdout/stderr and to its log file.
    func output(_ id: Int) -> String {
        let node = node(id)
        let out = (try? String(contentsOfFile: node.outputPath, encoding: .utf8)) ?? ""
        let log = (try? String(contentsOfFile: node.logPath, encoding: .utf8)) ?? ""
        return out + log
    }

    private func diagnostics(_ node: Node) -> String {
        func tail(_ path: String) -> String {
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? "(none)"
            return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(25).joined(separator: "\n")
        }
        return """
            ----- node \(node.id) (\(node.directory)): pachd.out
            \(tail(node.outputPath))
            ----- node \(node.id): pachd.log (last 25 lines)
            \(tail(node.logPath))
            """
    }

    // MARK: pachctl

    /// Runs pachctl with `arguments` against the API addresses of `nodes` (default: every founder, in
    /// order), with the cluster CA (or `caPath`) and `token`, plus `environment`; killed after `timeout`.
    func pachctl(
        _ arguments: [String], via nodes: [Int]? = nil, token: Token = .admin, caPath: String? = nil,
        environment extra: [String: String] = [:], timeout: Duration = .seconds(40)
    ) async throws -> PachctlResult {
        let address = (nodes ?? founders.map(\.id)).map { node($0).apiAddress }.joined(separator: ",")
        var environment = Self.baseEnvironment().merging(extra) { _, new in new }
        environment["PACHD_ADDRESS"] = address
        environment["PACH_CA"] = caPath ?? ca.caCertificate
        switch token {
        case .admin: environment["PACH_TOKEN"] = self.token
        case .none: break
        case .value(let value): environment["PACH_TOKEN"] = value
        }
        let call = state.withLock { state -> Int in
            state.calls += 1
            return state.calls
        }
        let directory = root + "/pachctl"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let outPath = "\(directory)/\(call).out"
        let errPath = "\(directory)/\(call).err"
        let started = ContinuousClock.now
        let child = try ChildProcess(
            executable: binaries.pachctl, arguments: arguments, environment: environment,
            stdoutPath: outPath, stderrPath: errPath)
        let status = await child.waitForExit(timeout: timeout)
        if status == nil { child.killAndReap() }
        let elapsed = ContinuousClock.now - started
        let stdout = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: outPath)
        try? FileManager.default.removeItem(atPath: errPath)
        return PachctlResult(
            arguments: arguments, address: address, exitCode: status, stdout: stdout, stderr: stderr, elapsed: elapsed)
    }

    /// Like `pachctl`, but a failure throws (with the whole result in the message).
    @discardableResult
    func pachctlOK(_ arguments: [String], via nodes: [Int]? = nil) async throws -> PachctlResult {
        let result = try await pachctl(arguments, via: nodes)
        guard result.succeeded else { throw HarnessError("expected success: \(result)") }
        return result
    }

    /// `cluster status` as node `id` answers it; nil when the call fails.
    func clusterStatus(via id: Int) async throws -> ClusterStatus? {
        let result = try await pachctl(["cluster", "status", "-o", "json", "--timeout", "2s"], via: [id], timeout: .seconds(10))
        guard result.succeeded, let document = try? result.jsonDocuments().first else { return nil }
        return ClusterStatus(document)
    }

    /// Waits until a running node in `among` (default: all running nodes) leads, as it and at least one
    /// other running node say, and a linearizable read through it succeeds. Returns the leader's id.
    func waitForLeader(among candidates: Set<Int>? = nil, timeout: Duration = .seconds(30)) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        var last = "no answer yet"
        while ContinuousClock.now < deadline {
            let running = runningIDs
            let allowed = candidates.map { $0.intersection(running) } ?? Set(running)
            for id in running {
                guard let status = try await clusterStatus(via: id) else {
                    last = "node \(id) did not answer cluster status"
                    continue
                }
                guard let leader = status.leaderID, allowed.contains(leader) else {
                    last = "node \(id) knows leader \(status.leaderID.map(String.init) ?? "none")"
                    continue
                }
                if leader != id {
                    guard let own = try await clusterStatus(via: leader), own.leaderID == leader else {
                        last = "node \(id) names leader \(leader), which does not agree yet"
                        continue
                    }
                }
                let read = try await pachctl(["list", "repo", "--timeout", "3s"], via: [leader], timeout: .seconds(10))
                if read.succeeded { return leader }
                last = "leader \(leader) does not serve reads yet: \(read.stderr)"
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw HarnessError("no leader within \(timeout): \(last)")
    }

    /// The environment of child processes: ours without pachctl's variables, so that a developer's
    /// shell settings (`source .cluster/env`) cannot point a test at another cluster.
    static func baseEnvironment() -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for key in ["PACHD_ADDRESS", "PACH_CA", "PACH_TOKEN"] { environment[key] = nil }
        return environment
    }
}

/// Test-cluster folders under `<tmp>/pach-it/<test runner pid>-<random>`. A run that crashed (or was
/// killed) leaves processes and folders behind; the next run kills and deletes them.
enum StaleClusters {
    /// Detaches every mount below `folder` (the loop-mounted disks of `cluster.sh up --disk-mib`), so that
    /// deleting the folder does not reach into them or fail on them.
    static func unmountAll(under folder: String) {
        guard let table = try? String(contentsOfFile: "/proc/mounts", encoding: .utf8) else { return }
        let points = table.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: " ")
            return fields.count > 1 && fields[1].hasPrefix(folder + "/") ? String(fields[1]) : nil
        }
        #if os(Linux)
        for point in points.sorted(by: >) { _ = umount2(point, Int32(MNT_DETACH)) }
        #endif
    }

    static var base: String { FileManager.default.temporaryDirectory.path + "/pach-it" }

    private static let swept: Bool = {
        sweep()
        return true
    }()

    static func sweepOnce() { _ = swept }

    static func makeRoot() throws -> String {
        let path = "\(base)/\(getpid())-\(RandomHex.make(bytes: 6))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Kills the pachd processes of folders whose test runner is gone (a `TestCluster`'s nodes, or a
    /// `ScriptedCluster`'s under cluster/), unmounts the disks they may have left mounted, then deletes
    /// those folders.
    static func sweep() {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: base) else { return }
        for entry in entries {
            guard let owner = entry.split(separator: "-").first.flatMap({ Int32($0) }) else { continue }
            if owner == getpid() || kill(owner, 0) == 0 { continue }
            let folder = "\(base)/\(entry)"
            let nodes = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
                + ((try? FileManager.default.contentsOfDirectory(atPath: folder + "/cluster")) ?? []).map { "cluster/" + $0 }
            for node in nodes {
                guard let text = try? String(contentsOfFile: "\(folder)/\(node)/pid", encoding: .utf8),
                    let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)),
                    let commandLine = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8),
                    commandLine.contains(folder)
                else { continue }
                _ = kill(pid, SIGKILL)
            }
            unmountAll(under: folder)
            try? FileManager.default.removeItem(atPath: folder)
        }
    }
}

import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A `pachctl mount` process of a test: started in the foreground against the test's cluster, ready
/// once its directory shows in the mount table; `unmount()` asks it to leave (`pachctl unmount`) and
/// checks that it exits. Cleanup detaches the directory whatever happened.
final class MountProcess: Sendable {
    let directory: String
    let process: ChildProcess
    let cluster: TestCluster

    /// Why mount tests cannot run here, or nil when they can.
    static let skipReason: String? = {
        guard access("/dev/fuse", R_OK | W_OK) == 0 else { return "/dev/fuse is not usable here" }
        guard geteuid() == 0 || access("/bin/fusermount", X_OK) == 0 else { return "no fusermount and not root" }
        return nil
    }()

    /// Mounts the cluster (through `nodes`, in order) at a new folder under the cluster's root.
    init(_ cluster: TestCluster, name: String = "mnt", via nodes: [Int]? = nil, arguments: [String] = []) async throws {
        self.cluster = cluster
        directory = "\(cluster.root)/\(name)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let address = (nodes ?? cluster.founders.map(\.id)).map { cluster.node($0).apiAddress }.joined(separator: ",")
        var environment = TestCluster.baseEnvironment()
        environment["PACHD_ADDRESS"] = address
        environment["PACH_CA"] = cluster.ca.caCertificate
        environment["PACH_TOKEN"] = cluster.token
        let log = "\(cluster.root)/\(name).log"
        process = try ChildProcess(executable: cluster.binaries.pachctl, arguments: ["mount", directory] + arguments,
                                   environment: environment, stdoutPath: log, stderrPath: log)
        let deadline = ContinuousClock.now + .seconds(30)
        while !Self.isMounted(directory) {
            guard process.isRunning else { throw HarnessError("pachctl mount exited: \(process.stdoutText())") }
            guard ContinuousClock.now < deadline else {
                process.killAndReap()
                throw HarnessError("pachctl mount did not mount within 30 s: \(process.stdoutText())")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    deinit {
        if Self.isMounted(directory) { umount2(directory, Int32(MNT_DETACH)) }
        process.killAndReap()
    }

    /// `pachctl unmount` and the mount process's exit status (nil if it did not exit in 20 s).
    func unmount() async throws -> Int32? {
        try await cluster.pachctlOK(["unmount", directory])
        return await process.waitForExit(timeout: .seconds(20))
    }

    /// A path inside the mount.
    func path(_ relative: String) -> String { directory + relative }

    static func isMounted(_ directory: String) -> Bool {
        guard let table = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return false }
        return table.split(separator: "\n").contains { line in
            let fields = line.split(separator: " ")
            return fields.count > 4 && fields[4] == directory && line.contains(" - fuse")
        }
    }
}

/// Shell tools run as child processes (their reads of the mount block them, not the test's threads).
enum Shell {
    /// Runs `command` with bash; its exit status and stdout+stderr.
    static func run(_ command: String, in folder: String, timeout: Duration = .seconds(300)) async throws -> (status: Int32?, output: String) {
        let log = "\(folder)/shell-\(UUID().uuidString.prefix(8)).out"
        let child = try ChildProcess(executable: "/bin/bash", arguments: ["-c", command],
                                     environment: ProcessInfo.processInfo.environment, stdoutPath: log, stderrPath: log)
        let status = await child.waitForExit(timeout: timeout)
        if status == nil { child.killAndReap() }
        let output = child.stdoutText()
        try? FileManager.default.removeItem(atPath: log)
        return (status, output)
    }

    /// Runs `command`, failing the test's step unless it exits 0; its output.
    @discardableResult
    static func ok(_ command: String, in folder: String, timeout: Duration = .seconds(300)) async throws -> String {
        let (status, output) = try await run(command, in: folder, timeout: timeout)
        guard status == 0 else { throw HarnessError("`\(command)` exited \(status.map(String.init) ?? "never (timed out)"): \(output)") }
        return output
    }

    /// The SHA-256 of a file, by `openssl dgst` (BoringSSL-fast, unlike coreutils here).
    static func sha256(_ path: String, in folder: String) async throws -> String {
        let output = try await ok("openssl dgst -sha256 -r '\(path)'", in: folder)
        return String(output.split(separator: " ").first ?? "")
    }
}

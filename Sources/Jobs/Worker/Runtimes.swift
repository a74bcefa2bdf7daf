#if canImport(Glibc)
import Glibc
#endif

/// User code in bubblewrap: new user, pid, network, IPC and UTS namespaces (so no network but its own
/// loopback, and no view of the node's processes), the host's `/usr` and `/etc` (or the spec's `image`
/// folder) read-only as root, a fresh `/tmp`, `/pfs/<input>` read-only and `/pfs/out` writable, working
/// directory `/pfs`, no capabilities. Killing bwrap kills everything inside (`--die-with-parent`, and
/// pid 1 of the namespace takes the rest with it).
///
/// A node running as root starts bwrap as `nobody` (through util-linux's `setpriv`): bwrap run by root
/// keeps every capability inside (the code could remount `/usr` writable), and even without them a
/// process whose uid is root on the host passes the permission checks of root's files (`/proc/sys`).
/// As `nobody` in a user namespace it can write only where `nobody` may: the run's output folder, which
/// the runtime hands to it first.
public struct BwrapRuntime: ContainerRuntime {
    public let name = "bwrap"
    public let executable: String
    /// The host uid and gid the sandbox runs as; nil: this process's own (when it is not root).
    public let sandboxUser: (uid: UInt32, gid: UInt32)?
    static let setpriv = "/usr/bin/setpriv"

    public init(executable: String = "/usr/bin/bwrap") {
        self.executable = executable
        sandboxUser = geteuid() == 0 ? (65_534, 65_534) : nil
    }

    /// bwrap where it exists and can make namespaces here, else nil (with why). With `scratch` (where
    /// datums will be laid out), the probe runs there, and a folder above it that the sandbox's user
    /// cannot enter is named.
    public static func detect(executable: String = "/usr/bin/bwrap", scratch: String? = nil) async
        -> (runtime: BwrapRuntime?, why: String) {
        guard access(executable, X_OK) == 0 else { return (nil, "\(executable) is missing (apt-get install bubblewrap)") }
        let runtime = BwrapRuntime(executable: executable)
        if runtime.sandboxUser != nil, access(setpriv, X_OK) != 0 {
            return (nil, "\(setpriv) is missing (apt-get install util-linux); bwrap must not run user code as root")
        }
        if let scratch, runtime.sandboxUser != nil, let closed = closedAncestor(of: scratch) {
            return (nil, "the sandbox runs as nobody, who cannot enter \(closed) (mode without o+x), above the jobs "
                + "folder \(scratch); give it o+x or put the data dir elsewhere")
        }
        if let scratch { mkdir(scratch, 0o755) }
        var template = Array("\(scratch ?? "/tmp")/pach-bwrap-probe-XXXXXX".utf8CString)
        guard let folder = mkdtemp(&template).map({ String(cString: $0) }) else {
            return (nil, "cannot make a folder for the bwrap probe: \(String(cString: strerror(errno)))")
        }
        defer { rmdir(folder) }
        do {
            let outcome = try await runtime.run(DatumRun(cmd: ["/bin/true"], output: folder))
            guard outcome.succeeded() else {
                return (nil, "bwrap cannot make namespaces here (\(outcome.summary): \(String(decoding: outcome.stderr, as: UTF8.self)))")
            }
            return (runtime, "bwrap works")
        } catch {
            return (nil, "bwrap did not start: \(error)")
        }
    }

    /// New user, pid, network, IPC, UTS (and cgroup where possible) namespaces, no capabilities; the
    /// sandbox dies with its starter.
    static let namespaces = ["--die-with-parent", "--new-session", "--cap-drop", "ALL", "--unshare-user", "--unshare-pid",
                             "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    /// The host's programs and libraries, read-only; Debian's merged /usr makes the rest links.
    static let hostRoot = ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
        + ["bin", "lib", "lib64", "sbin"].flatMap { ["--symlink", "usr/\($0)", "/\($0)"] }
    /// A private /dev and /proc, and a fresh /tmp.
    static let systemFolders = ["--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
    /// Everything of a sandbox on the host's root but its /pfs (for `BatchSandbox`).
    static var walls: [String] { namespaces + hostRoot + systemFolders }

    /// The first folder from `/` down to `path` (those that exist) that others may not enter.
    static func closedAncestor(of path: String) -> String? {
        var current = ""
        for component in path.split(separator: "/") {
            current += "/" + component
            var info = stat()
            guard stat(current, &info) == 0 else { return nil }
            if info.st_mode & S_IFMT == S_IFDIR && info.st_mode & 0o001 == 0 { return current }
        }
        return nil
    }

    /// bwrap's command line for `run` (argv; setpriv first when the sandbox changes user).
    public func arguments(for run: DatumRun) -> [String] {
        var argv: [String] = []
        if let user = sandboxUser {
            argv += [Self.setpriv, "--reuid=\(user.uid)", "--regid=\(user.gid)", "--clear-groups", "--"]
        }
        argv += [executable] + Self.namespaces
        if let image = run.image {
            argv += ["--ro-bind", image, "/"]
        } else {
            argv += Self.hostRoot
        }
        argv += Self.systemFolders + ["--dir", "/pfs"]
        for input in run.inputs { argv += ["--ro-bind", input.hostPath, "/pfs/\(input.name)"] }
        argv += ["--bind", run.output, "/pfs/out", "--chdir", "/pfs", "--clearenv"]
        for (key, value) in Self.environment(run.env, inputs: run.inputs, under: "/pfs") { argv += ["--setenv", key, value] }
        return argv + ["--"] + run.cmd
    }

    public func run(_ run: DatumRun) async throws -> DatumOutcome {
        if let user = sandboxUser, chown(run.output, user.uid, user.gid) != 0 {
            throw RuntimeError("cannot hand the output folder \(run.output) to the sandbox: \(String(cString: strerror(errno)))")
        }
        let argv = arguments(for: run)
        return try await Self.execute(run, executable: argv[0], arguments: argv, environment: ["PATH": "/usr/bin:/bin"])
    }

    /// `env` and each input's datum path (inputs under `root`), in a fixed order, with a PATH when it
    /// has none.
    static func environment(_ env: [String: String], inputs: [DatumRun.Input], under root: String) -> [(String, String)] {
        var env = env
        if env["PATH"] == nil { env["PATH"] = "/usr/local/bin:/usr/bin:/bin" }
        for input in inputs { env[input.name] = input.location(under: root) }
        return env.sorted { $0.key < $1.key }
    }

    static func execute(_ run: DatumRun, executable: String, arguments: [String],
                        environment: [String: String]) async throws -> DatumOutcome {
        guard !run.cmd.isEmpty else { throw RuntimeError("a datum run needs a command") }
        let started = ContinuousClock.now
        let stdin: [UInt8] = run.stdin.flatMap { line -> [UInt8] in Array(line.utf8) + [0x0A] }
        let result = try await ChildProcess.run(executable: executable, arguments: arguments, environment: environment,
                                                stdin: stdin, timeout: run.timeout, logLimit: run.logLimit)
        return DatumOutcome(exitCode: result.timedOut ? nil : result.exitCode, signal: result.signal,
                            timedOut: result.timedOut, stdout: result.stdout, stderr: result.stderr,
                            stdoutBytes: result.stdoutBytes, stderrBytes: result.stderrBytes,
                            duration: ContinuousClock.now - started)
    }
}

/// User code as a plain child process, where bwrap cannot run: no isolation at all, and no `/pfs`
/// either: the code runs in a folder holding `out` (the output) and one link per input, and finds its
/// data through the input environment variables and `PACH_PFS` (that folder). Chosen only when bwrap is
/// unavailable, and logged.
public struct ProcessRuntime: ContainerRuntime {
    public let name = "process"
    /// Where each run's `/pfs` stand-in folder is made.
    public let scratch: String

    public init(scratch: String) {
        self.scratch = scratch
    }

    public func run(_ run: DatumRun) async throws -> DatumOutcome {
        guard let program = run.cmd.first else { throw RuntimeError("a datum run needs a command") }
        let folder = "\(scratch)/pfs-\(UInt64.random(in: 0...UInt64.max))"
        let environment = Dictionary(uniqueKeysWithValues: BwrapRuntime.environment(run.env, inputs: run.inputs, under: folder))
        guard let executable = Self.resolve(program, path: environment["PATH"]!) else {
            throw RuntimeError("command '\(program)' not found in PATH \(environment["PATH"]!)")
        }
        guard mkdir(folder, 0o755) == 0 else { throw RuntimeError("cannot make \(folder): \(String(cString: strerror(errno)))") }
        defer {
            for input in run.inputs { unlink("\(folder)/\(input.name)") }
            unlink("\(folder)/out")
            rmdir(folder)
        }
        for input in run.inputs where symlink(input.hostPath, "\(folder)/\(input.name)") != 0 {
            throw RuntimeError("cannot link input \(input.name): \(String(cString: strerror(errno)))")
        }
        guard symlink(run.output, "\(folder)/out") == 0 else { throw RuntimeError("cannot link the output folder") }
        var env = environment
        env["PACH_PFS"] = folder
        // The child starts in the folder: a shell wrapper changes directory, then execs the program.
        let argv = ["/bin/sh", "-c", "cd \"$PACH_PFS\" && exec \"$0\" \"$@\"", executable] + run.cmd.dropFirst()
        return try await BwrapRuntime.execute(run, executable: "/bin/sh", arguments: argv, environment: env)
    }

    /// `program` itself when it has a slash, else the first executable of that name in `path`.
    static func resolve(_ program: String, path: String) -> String? {
        if program.contains("/") { return access(program, X_OK) == 0 ? program : nil }
        for directory in path.split(separator: ":") where access("\(directory)/\(program)", X_OK) == 0 {
            return "\(directory)/\(program)"
        }
        return nil
    }
}

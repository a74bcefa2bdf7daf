/// One run of user code over one datum (or a batch): what to run, with which files where. The worker
/// fills it in; a `ContainerRuntime` carries it out.
public struct DatumRun: Sendable, Hashable {
    /// argv: the program and its arguments.
    public var cmd: [String]
    /// Lines written to standard input, each followed by a newline; then standard input is closed.
    public var stdin: [String]
    /// The whole environment the code sees (the runtime adds nothing but `PATH` when it is missing).
    public var env: [String: String]
    /// Host folders shown read-only at `/pfs/<name>`.
    public var inputs: [Input]
    /// The host folder shown writable at `/pfs/out`: what the code leaves there is the datum's output.
    public var output: String
    /// A host folder to use as the root file system instead of the host's own (read-only either way).
    public var image: String?
    /// Killed (the whole process tree) after this long; nil: no limit.
    public var timeout: Duration?
    /// Bytes of standard output and of standard error kept (each); the rest is counted, not kept.
    public var logLimit: Int

    public struct Input: Sendable, Hashable {
        public var name: String
        public var hostPath: String
        /// The datum's path inside the input ("/" for the whole tree): the runtime sets the environment
        /// variable `<name>` to it under the input's folder (`/pfs/images/cat.jpg`), as Pachyderm does.
        public var datumPath: String

        public init(name: String, hostPath: String, datumPath: String = "/") {
            self.name = name
            self.hostPath = hostPath
            self.datumPath = datumPath
        }

        /// The variable's value when the inputs are under `root`.
        func location(under root: String) -> String {
            datumPath == "/" ? "\(root)/\(name)" : "\(root)/\(name)\(datumPath)"
        }
    }

    public init(cmd: [String], stdin: [String] = [], env: [String: String] = [:], inputs: [Input] = [], output: String,
                image: String? = nil, timeout: Duration? = nil, logLimit: Int = 1 << 20) {
        self.cmd = cmd
        self.stdin = stdin
        self.env = env
        self.inputs = inputs
        self.output = output
        self.image = image
        self.timeout = timeout
        self.logLimit = logLimit
    }
}

/// How a run ended.
public struct DatumOutcome: Sendable, Hashable {
    /// The exit status, when the code exited; nil when a signal ended it.
    public var exitCode: Int32?
    /// The signal that ended it, if one did.
    public var signal: Int32?
    /// Whether the runtime killed it for running past `timeout`.
    public var timedOut: Bool
    /// The first `logLimit` bytes of each stream, and how many bytes each really had.
    public var stdout: [UInt8]
    public var stderr: [UInt8]
    public var stdoutBytes: Int
    public var stderrBytes: Int
    public var duration: Duration

    /// Exit code 0, or one the spec accepts.
    public func succeeded(accepting codes: [Int] = []) -> Bool {
        guard !timedOut, let exitCode else { return false }
        return exitCode == 0 || codes.contains(Int(exitCode))
    }

    /// One line for logs and `list datum`: "exit 0", "exit 3", "killed by signal 9", "timed out".
    public var summary: String {
        if timedOut { return "timed out after \(duration)" }
        if let exitCode { return "exit \(exitCode)" }
        return "killed by signal \(signal ?? 0)"
    }
}

/// Runs user code: `bwrap` (namespaces, read-only root, only `/pfs/out` writable, no network) where it
/// works, a plain child process otherwise.
public protocol ContainerRuntime: Sendable {
    /// `bwrap` or `process`, as logs and `inspect job` show it.
    var name: String { get }
    func run(_ run: DatumRun) async throws -> DatumOutcome
}

/// Why a run could not even start (the code's own failures are outcomes, not errors).
public struct RuntimeError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

import CLinux
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A child process in a process group of its own, with standard input fed from lines and its output
/// read into bounded buffers, on dedicated threads (never the cooperative pool: a datum may run for
/// hours). The whole group is killed on timeout, and when the calling task is cancelled, so a shell's
/// children go too.
enum ChildProcess {
    struct Result {
        /// The raw wait status (`exitCode`, `signal` decode it).
        var status: Int32
        var timedOut: Bool
        var stdout: [UInt8]
        var stderr: [UInt8]
        var stdoutBytes: Int
        var stderrBytes: Int

        /// The exit code, when the process exited (WIFEXITED / WEXITSTATUS).
        var exitCode: Int32? { status & 0x7f == 0 ? (status >> 8) & 0xff : nil }
        /// The signal that ended it (WIFSIGNALED / WTERMSIG).
        var signal: Int32? { status & 0x7f != 0 && status & 0x7f != 0x7f ? status & 0x7f : nil }
    }

    /// A write to a child that closed its input must fail with EPIPE, not kill this process.
    private static let pipeSignalIgnored: Void = { _ = Glibc.signal(SIGPIPE, SIG_IGN) }()

    /// Runs `executable` (an absolute path) with `arguments` (argv, the program's name first) and exactly
    /// `environment`, and waits for it and both of its output streams.
    static func run(executable: String, arguments: [String], environment: [String: String], stdin: [UInt8],
                    timeout: Duration?, logLimit: Int) async throws(RuntimeError) -> Result {
        _ = pipeSignalIgnored
        if Task.isCancelled { throw RuntimeError("cancelled before the datum's process started") }
        let spawned = try spawn(executable: executable, arguments: arguments, environment: environment)
        let (stdinFD, stdoutFD, stderrFD, child) = (spawned.stdin, spawned.stdout, spawned.stderr, spawned.pid)
        // Until the child is reaped its pid (the group's id) is not reused: a cancellation kills the group
        // only before that.
        let reaped = Reaping()
        return await withTaskCancellationHandler {
            await wait(child, stdinFD: stdinFD, stdoutFD: stdoutFD, stderrFD: stderrFD, stdin: stdin, timeout: timeout,
                       logLimit: logLimit, reaped: reaped)
        } onCancel: {
            reaped.done.withLock { done in if !done { kill(-child, SIGKILL) } }
        }
    }

    /// A started child: its pid (also its process group's id) and our ends of its three pipes.
    struct Spawned {
        var pid: pid_t
        var stdin: Int32
        var stdout: Int32
        var stderr: Int32
    }

    /// Starts `executable` in a process group of its own with pipes for its standard streams, every
    /// signal at its default and none blocked.
    static func spawn(executable: String, arguments: [String], environment: [String: String]) throws(RuntimeError) -> Spawned {
        _ = pipeSignalIgnored
        var input: [Int32] = [-1, -1]
        var output: [Int32] = [-1, -1]
        var errors: [Int32] = [-1, -1]
        guard pipe2(&input, O_CLOEXEC) == 0, pipe2(&output, O_CLOEXEC) == 0, pipe2(&errors, O_CLOEXEC) == 0 else {
            for fd in input + output + errors where fd >= 0 { close(fd) }
            throw RuntimeError("cannot make pipes for the datum's process: \(String(cString: strerror(errno)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input[0], 0)
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errors[1], 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigfillset(&defaults)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        close(input[0])
        close(output[1])
        close(errors[1])
        guard result == 0 else {
            close(input[1])
            close(output[0])
            close(errors[0])
            throw RuntimeError("cannot start \(executable): \(String(cString: strerror(result)))")
        }
        return Spawned(pid: pid, stdin: input[1], stdout: output[0], stderr: errors[0])

    }

    /// Feeds and drains the child on threads of its own and waits for it (see `run`).
    private static func wait(_ child: pid_t, stdinFD: Int32, stdoutFD: Int32, stderrFD: Int32, stdin: [UInt8],
                             timeout: Duration?, logLimit: Int, reaped: Reaping) async -> Result {
        await withCheckedContinuation { continuation in
            let thread = OSThread(joined: false) {
                // Standard input and both outputs on threads of their own: a child that never reads its
                // input, or fills one pipe while we wait on the other, must not block the rest.
                let writer = OSThread {
                    writeAll(stdinFD, stdin)
                    close(stdinFD)
                }
                let outputReader = BoundedReader(fd: stdoutFD, limit: logLimit)
                let errorReader = BoundedReader(fd: stderrFD, limit: logLimit)
                let outputThread = OSThread { outputReader.readToEnd() }
                let errorThread = OSThread { errorReader.readToEnd() }
                writer.start()
                outputThread.start()
                errorThread.start()
                // The timeout is kept here, on this thread, not by a timer on the cooperative pool: a pool
                // kept busy by other work would let a datum overrun its limit by as long as it is busy.
                // Nothing reaps the child before the kill, so its group id is still its own.
                let timedOut = timeout.map { !exits(child, within: $0) } ?? false
                if timedOut { kill(-child, SIGKILL) }
                // Wait for the exit without reaping: while the child is a zombie its pid (the group's id)
                // cannot be reused, so killing the group afterwards cannot hit a stranger.
                var info = siginfo_t()
                while waitid(P_PID, id_t(child), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR {}
                // Whatever the code left running in its group goes with it (and lets the pipes close).
                kill(-child, SIGKILL)
                outputThread.join()
                errorThread.join()
                var status: Int32 = 0
                reaped.done.withLock { done in
                    done = true
                    while waitpid(child, &status, 0) < 0 && errno == EINTR {}
                }
                writer.join()
                continuation.resume(returning: Result(
                    status: status, timedOut: timedOut, stdout: outputReader.kept,
                    stderr: errorReader.kept, stdoutBytes: outputReader.total, stderrBytes: errorReader.total))
            }
            thread.start()
        }
    }

    /// Whether the child has been reaped (after which its pid may belong to a stranger).
    final class Reaping: Sendable {
        let done = Mutex(false)
    }

    /// Waits up to `limit` for `child` to exit, without reaping it; false when the time ran out first.
    private static func exits(_ child: pid_t, within limit: Duration) -> Bool {
        let deadline = ContinuousClock.now + limit
        let pidfd = pidfd_open(child, 0)
        if pidfd >= 0 {
            defer { close(pidfd) }
            while true {
                let left = deadline - ContinuousClock.now
                guard left > .zero else { return false }
                let (seconds, attoseconds) = left.components
                let milliseconds = Int32(clamping: seconds * 1_000 + attoseconds / 1_000_000_000_000_000 + 1)
                var watched = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
                let ready = poll(&watched, 1, milliseconds)
                if ready > 0 { return true }
                if ready < 0 && errno != EINTR { break }
            }
        }
        // No pidfd (a kernel before 5.3): look every 10 ms.
        while ContinuousClock.now < deadline {
            var info = siginfo_t()
            if waitid(P_PID, id_t(child), &info, WEXITED | WNOWAIT | WNOHANG) == 0 && info.si_signo == SIGCHLD {
                return true
            }
            usleep(10_000)
        }
        return false
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { return }  // the child closed its input: the rest is not wanted
            offset += written
        }
    }
}

/// Reads a descriptor to its end, keeping the first `limit` bytes and counting the rest; closes it.
private final class BoundedReader: @unchecked Sendable {  // one thread reads; `kept` is read after join
    let fd: Int32
    let limit: Int
    private(set) var kept: [UInt8] = []
    private(set) var total = 0

    init(fd: Int32, limit: Int) {
        self.fd = fd
        self.limit = limit
    }

    func readToEnd() {
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            total += count
            if kept.count < limit { kept += buffer[0..<min(count, limit - kept.count)] }
        }
        close(fd)
    }
}

/// An OS thread running one closure: joined by its starter, or (`joined: false`) detached so that it
/// frees itself when done.
final class OSThread: @unchecked Sendable {  // `body` runs once; `handle` is set before join
    private let body: () -> Void
    private let joined: Bool
    private var handle = pthread_t()

    init(joined: Bool = true, _ body: @escaping () -> Void) {
        self.joined = joined
        self.body = body
    }

    func start() {
        let box = Unmanaged.passRetained(self)
        let created = pthread_create(&handle, nil, { raw in
            let thread = Unmanaged<OSThread>.fromOpaque(raw!).takeRetainedValue()
            thread.body()
            return nil
        }, box.toOpaque())
        precondition(created == 0, "pthread_create: \(created)")
        if !joined { pthread_detach(handle) }
    }

    func join() {
        pthread_join(handle, nil)
    }
}

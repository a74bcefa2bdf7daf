import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A child process whose stdout and stderr go to files, with a bounded, non-blocking wait.
///
/// Files rather than pipes: a chatty child can never block on a full pipe that nobody reads, and the
/// output survives the test for a post-mortem. Started with `posix_spawn` rather than Foundation's
/// `Process`, whose `run()` crashed here (a bad read inside it) when tests launched children while
/// others were being reaped.
final class ChildProcess: @unchecked Sendable {
    /// The executable and its arguments, for messages.
    let commandLine: [String]
    let stdoutPath: String
    let stderrPath: String
    let pid: Int32
    /// The raw wait status once reaped; guarded because tests poll from several tasks.
    private let reaped = Mutex<Int32?>(nil)

    /// Starts `executable` with `arguments`. `environment` replaces the parent's environment entirely.
    /// When `stderrPath` equals `stdoutPath`, both streams go to one file.
    init(
        executable: String, arguments: [String], environment: [String: String],
        stdoutPath: String, stderrPath: String, workingDirectory: String? = nil
    ) throws {
        commandLine = [executable] + arguments
        self.stdoutPath = stdoutPath
        self.stderrPath = stderrPath
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let appendFlags = O_WRONLY | O_CREAT | O_APPEND
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, appendFlags, 0o644)
        if stderrPath == stdoutPath {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, stderrPath, appendFlags, 0o644)
        }
        // Glibc's addchdir_np is not visible to Swift here; coreutils `env -C` changes directory and then
        // execs the program in the same process, so the pid is still the program's.
        let program = workingDirectory == nil ? executable : "/usr/bin/env"
        let programArguments = workingDirectory.map { ["-C", $0, executable] } ?? []
        let argv = ([program] + programArguments + arguments).map { strdup($0) } + [nil]
        let envp = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var child: pid_t = 0
        let result = posix_spawn(&child, program, &actions, nil, argv, envp)
        guard result == 0 else {
            throw HarnessError("cannot start \(executable): \(String(cString: strerror(result)))")
        }
        pid = child
    }

    /// Reaps the child if it has exited; returns the raw wait status once it has.
    private func poll() -> Int32? {
        reaped.withLock { status in
            if let status { return status }
            var raw: Int32 = 0
            let result = waitpid(pid, &raw, WNOHANG)
            if result == pid { status = raw }
            return status
        }
    }

    var isRunning: Bool { poll() == nil }

    /// The exit status, or the signal number for a process that a signal ended; nil while running.
    var terminationStatus: Int32? {
        guard let raw = poll() else { return nil }
        return raw & 0x7F == 0 ? (raw >> 8) & 0xFF : raw & 0x7F
    }

    /// Whether the process ended by a signal (as opposed to exit()).
    var wasSignalled: Bool {
        guard let raw = poll() else { return false }
        return raw & 0x7F != 0 && raw & 0x7F != 0x7F
    }

    /// Sends `signal` (SIGKILL, SIGTERM, SIGSTOP, SIGCONT) unless the process is gone.
    func send(_ signal: Int32) {
        guard isRunning else { return }
        _ = kill(pid, signal)
    }

    /// Waits until the process exits, at most `timeout`; returns its status, or nil when still running.
    @discardableResult
    func waitForExit(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while isRunning {
            if ContinuousClock.now >= deadline { return nil }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return terminationStatus
    }

    /// SIGKILL and a bounded wait; for cleanup paths, which must not throw. Blocks the calling thread.
    func killAndReap() {
        guard isRunning else { return }
        _ = kill(pid, SIGCONT)
        _ = kill(pid, SIGKILL)
        let deadline = ContinuousClock.now + .seconds(5)
        while isRunning && ContinuousClock.now < deadline {
            usleep(5_000)
        }
    }

    /// Everything the process wrote to stdout so far.
    func stdoutText() -> String {
        (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? ""
    }
}

/// A failure of the harness itself (not of the system under test), with a message that says what to do.
struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

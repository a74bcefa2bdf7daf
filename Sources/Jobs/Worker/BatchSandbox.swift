import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One bubblewrap sandbox for a whole batch: its namespaces are made once, and each datum then costs a
/// few renames and a fork of the user code instead of a new container (making a sandbox costs ~10 ms
/// of kernel work here, more than a small datum's code).
///
/// Inside, a small bash driver reads a datum number per line, runs that datum's command in a session
/// of its own (under `timeout` when the datum has a limit) with exactly its environment, kills whatever
/// the command left in its session, and answers the exit status. Between datums the worker renames the
/// datum's inputs into the sandbox's `/pfs` (mounted read-only inside) and empties `/pfs/out` into the
/// datum's output folder; the driver's files (`/.pach/ctl`, read-only) and the logs it writes
/// (`/.pach/logs`) are folders of their own. The walls are those of `BwrapRuntime`: no network, the
/// node's processes hidden, `/usr` and `/etc` read-only, nothing writable but `/pfs/out`, `/tmp` and
/// the logs, no capabilities, `nobody` when the node is root.
///
/// Differences from a container per datum, all inside one batch: `/tmp` is shared by its datums, an
/// exit status above 128 reads as the signal `status - 128` (as a shell reports it), and a datum's
/// stdout and stderr are files on the node's disk while it runs (cut to the limit after).
final class BatchSandbox: Sendable {
    let runtime: BwrapRuntime
    let folder: String
    let child: ChildProcess.Spawned
    /// Status lines from the driver; the datum counter; whether the sandbox is gone.
    private let state: Mutex<(buffer: [UInt8], next: Int, ended: Bool)>
    private let reaping = ChildProcess.Reaping()

    static let driver = """
        set -u
        cd /pfs || exit 90
        while IFS= read -r k; do
            c=/.pach/ctl/$k
            l=/.pach/logs/$k
            if mapfile -d '' -t args < "$c.argv"; then
                t=$(< "$c.timeout")
                if [ "$t" = 0 ]; then
                    setsid -w env -i "${args[@]}" < "$c.stdin" > "$l.out" 2> "$l.err" &
                else
                    setsid -w timeout -k 1 "$t" env -i "${args[@]}" < "$c.stdin" > "$l.out" 2> "$l.err" &
                fi
                child=$!
                wait "$child"
                status=$?
                kill -9 -- "-$child" 2>/dev/null
                printf '%s %s\\n' "$k" "$status"
            else
                printf '%s unreadable\\n' "$k"
            fi
        done
        """

    /// Where the driver runs: bash and the tools it uses from the host's `/usr`.
    static let tools = ["/usr/bin/bash", "/usr/bin/setsid", "/usr/bin/timeout", "/usr/bin/env"]

    /// Whether a batch can share a sandbox here: no `image` (the driver needs the host's tools) and the
    /// tools present.
    static func usable(image: String?) -> Bool {
        image == nil && tools.allSatisfy { access($0, X_OK) == 0 }
    }

    /// Makes the sandbox's folders under `folder` and starts the driver.
    init(runtime: BwrapRuntime, folder: String) throws {
        self.runtime = runtime
        self.folder = folder
        let manager = FileManager.default
        for name in ["pfs/out", "out", "ctl", "logs"] {
            try manager.createDirectory(atPath: "\(folder)/\(name)", withIntermediateDirectories: true)
        }
        for name in ["", "/pfs", "/pfs/out", "/ctl"] { chmod(folder + name, 0o755) }
        if let user = runtime.sandboxUser {
            for name in ["out", "logs"] where chown("\(folder)/\(name)", user.uid, user.gid) != 0 {
                throw RuntimeError("cannot hand \(folder)/\(name) to the sandbox: \(String(cString: strerror(errno)))")
            }
        }
        var argv: [String] = []
        if let user = runtime.sandboxUser {
            argv += [BwrapRuntime.setpriv, "--reuid=\(user.uid)", "--regid=\(user.gid)", "--clear-groups", "--"]
        }
        argv += [runtime.executable] + BwrapRuntime.walls
        argv += ["--ro-bind", folder + "/pfs", "/pfs", "--bind", folder + "/out", "/pfs/out",
                 "--ro-bind", folder + "/ctl", "/.pach/ctl", "--bind", folder + "/logs", "/.pach/logs",
                 "--chdir", "/pfs", "--clearenv", "--setenv", "PATH", "/usr/bin:/bin",
                 "--", "/usr/bin/bash", "-c", Self.driver]
        child = try ChildProcess.spawn(executable: argv[0], arguments: argv, environment: ["PATH": "/usr/bin:/bin"])
        state = Mutex(([], 1, false))
        // The driver's own complaints (not the datums': those go to files) are drained and dropped.
        let errors = child.stderr
        OSThread(joined: false) {
            var buffer = [UInt8](repeating: 0, count: 4_096)
            while buffer.withUnsafeMutableBytes({ Glibc.read(errors, $0.baseAddress, $0.count) }) > 0 {}
            Glibc.close(errors)
        }.start()
    }

    deinit { close() }

    /// Whether the sandbox is gone (closed, cancelled, or its driver died).
    var ended: Bool { state.withLock { $0.ended } }

    /// Ends the driver (its input closed, then the group killed) and reaps it.
    func close() {
        let first = state.withLock { state -> Bool in
            defer { state.ended = true }
            return !state.ended
        }
        guard first else { return }
        Glibc.close(child.stdin)
        reaping.done.withLock { done in
            kill(-child.pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(child.pid, &status, 0) < 0 && errno == EINTR {}
            done = true
        }
        Glibc.close(child.stdout)
    }

    /// Runs one datum (`run.image` must be nil): its inputs and output folder are lent to the sandbox
    /// for the run and given back. Throws when the sandbox is gone (cancelled, or the driver died).
    func run(_ run: DatumRun) async throws -> DatumOutcome {
        guard !run.cmd.isEmpty else { throw RuntimeError("a datum run needs a command") }
        let number = try state.withLock { state throws(RuntimeError) -> Int in
            guard !state.ended else { throw RuntimeError("the batch's sandbox has ended") }
            defer { state.next += 1 }
            return state.next
        }
        let ctl = "\(folder)/ctl/\(number)"
        let logs = "\(folder)/logs/\(number)"
        var lent: [(from: String, to: String)] = []
        defer {
            for (from, to) in lent.reversed() { rename(to, from) }
            for suffix in [".argv", ".timeout", ".stdin"] { unlink(ctl + suffix) }
            for suffix in [".out", ".err"] { unlink(logs + suffix) }
        }
        for input in run.inputs {
            let inside = "\(folder)/pfs/\(input.name)"
            guard rename(input.hostPath, inside) == 0 else {
                throw RuntimeError("cannot lend input \(input.name) to the sandbox: \(String(cString: strerror(errno)))")
            }
            lent.append((input.hostPath, inside))
        }
        var argv: [UInt8] = []
        for (key, value) in BwrapRuntime.environment(run.env, inputs: run.inputs, under: "/pfs") {
            argv += Array("\(key)=\(value)".utf8) + [0]
        }
        for word in run.cmd { argv += Array(word.utf8) + [0] }
        try Data(argv).write(to: URL(fileURLWithPath: ctl + ".argv"))
        try Data(Self.seconds(run.timeout).utf8).write(to: URL(fileURLWithPath: ctl + ".timeout"))
        try Data(run.stdin.flatMap { Array($0.utf8) + [0x0A] }).write(to: URL(fileURLWithPath: ctl + ".stdin"))

        let started = ContinuousClock.now
        let status = try await withTaskCancellationHandler {
            try await answer(to: number)
        } onCancel: {
            reaping.done.withLock { done in if !done { kill(-child.pid, SIGKILL) } }
        }
        let duration = ContinuousClock.now - started
        do { try moveOutputs(to: run.output) } catch {
            close()  // what is left in /pfs/out must not reach the next datum
            throw error
        }
        let (stdout, stdoutBytes) = Self.head(of: logs + ".out", limit: run.logLimit)
        let (stderr, stderrBytes) = Self.head(of: logs + ".err", limit: run.logLimit)
        let timedOut = run.timeout.map { status == 124 && duration >= $0 } ?? false
        let signal: Int32? = !timedOut && status > 128 && status <= 192 ? status - 128 : nil
        return DatumOutcome(exitCode: timedOut || signal != nil ? nil : status, signal: signal, timedOut: timedOut,
                            stdout: stdout, stderr: stderr, stdoutBytes: stdoutBytes, stderrBytes: stderrBytes,
                            duration: duration)
    }

    /// Sends the datum's number and waits for the driver's "number status" line.
    private func answer(to number: Int) async throws -> Int32 {
        let line = Array("\(number)\n".utf8)
        let (input, output) = (child.stdin, child.stdout)
        let read: [UInt8]? = await withCheckedContinuation { continuation in
            OSThread(joined: false) { [self] in
                ChildProcess.writeAll(input, line)
                continuation.resume(returning: nextLine(from: output))
            }.start()
        }
        guard let read, let text = String(bytes: read, encoding: .utf8) else {
            close()
            throw RuntimeError("the batch's sandbox ended while datum \(number) ran")
        }
        let words = text.split(separator: " ")
        if words.count == 2, Int(words[0]) == number, words[1] == "unreadable" {
            throw RuntimeError("the sandbox could not read datum \(number)'s command")
        }
        guard words.count == 2, Int(words[0]) == number, let status = Int32(words[1]) else {
            close()
            throw RuntimeError("the batch's sandbox answered '\(text)' for datum \(number)")
        }
        return status
    }

    /// The next line the driver wrote (without its newline), nil at the end of its output.
    private func nextLine(from fd: Int32) -> [UInt8]? {
        var chunk = [UInt8](repeating: 0, count: 256)
        while true {
            let found = state.withLock { state -> [UInt8]? in
                guard let end = state.buffer.firstIndex(of: 0x0A) else { return nil }
                defer { state.buffer.removeSubrange(...end) }
                return Array(state.buffer[..<end])
            }
            if let found { return found }
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return nil }
            state.withLock { $0.buffer += chunk[0..<count] }
        }
    }

    /// Moves what the datum left in `/pfs/out` into `output` (top-level entries, by rename).
    private func moveOutputs(to output: String) throws {
        let out = folder + "/out"
        for name in try FileManager.default.contentsOfDirectory(atPath: out) {
            guard rename("\(out)/\(name)", "\(output)/\(name)") == 0 else {
                throw RuntimeError("cannot collect \(name) from /pfs/out: \(String(cString: strerror(errno)))")
            }
        }
    }

    /// The first `limit` bytes of `file` and its size (0 and nothing when it is missing).
    static func head(of file: String, limit: Int) -> ([UInt8], Int) {
        guard let handle = FileHandle(forReadingAtPath: file) else { return ([], 0) }
        defer { try? handle.close() }
        let kept = (try? handle.read(upToCount: limit)).map { Array($0 ?? Data()) } ?? []
        let size = (try? handle.seekToEnd()).map { Int($0) } ?? kept.count
        return (kept, size)
    }

    /// `timeout`'s argument: seconds with a fraction, or 0 for none.
    static func seconds(_ limit: Duration?) -> String {
        guard let limit else { return "0" }
        let (seconds, attoseconds) = limit.components
        let millis = max(1, seconds * 1_000 + attoseconds / 1_000_000_000_000_000)
        return String(format: "%.3f", Double(millis) / 1_000)
    }
}

import Foundation
import Replication
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One bubblewrap sandbox for a whole batch: its namespaces are made once, and each datum then costs a
/// few renames and a fork of the user code instead of a new container (making a sandbox costs ~10 ms
/// of kernel work here, more than a small datum's code).
///
/// Inside, a small bash driver reads one request per datum (its command, environment, timeout), runs
/// the command in a subshell with exactly that environment (under `timeout` when the datum has a
/// limit), kills whatever the command left running, and answers the exit status. Between datums the
/// worker renames the datum's inputs into the sandbox's `/pfs` (mounted read-only inside) and empties
/// `/pfs/out` into the datum's output folder; the stdin files (`/.pach/ctl`, read-only) and the logs
/// the driver writes (`/.pach/logs`) are folders of their own. The walls are those of `BwrapRuntime`: no network, the
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
    /// Inputs bound for the sandbox's life (FUSE views), by name.
    let boundInputs: [String: String]
    /// Status lines from the driver; the datum counter; whether the sandbox is gone.
    private let state: Mutex<(buffer: [UInt8], next: Int, ended: Bool)>
    private let reaping = ChildProcess.Reaping()

    /// One fork per datum and the user code's own exec. A request is NUL-separated fields on the
    /// driver's input: number, timeout (seconds, 0 for none), the stdin file, the variable count and
    /// the variables, the word count and the words. The subshell drops the driver's environment,
    /// exports the datum's and execs the command (through `timeout` when it has a limit); its output
    /// goes to two log files reused by every datum. Once the command has exited, `kill -9 -1` ends
    /// whatever it left (every process but the driver and the namespace's init). No file is made per
    /// datum: a file system that allocates and frees inodes fast pays for it (ext4 searches past
    /// recently freed inodes).
    static let driver = """
        set -u
        cd /pfs || exit 90
        field() { IFS= read -r -d '' "$1"; }
        while field k && field t && field input && field n; do
            vars=()
            for ((i = 0; i < n; i++)); do field v; vars+=("$v"); done
            field n
            cmd=()
            for ((i = 0; i < n; i++)); do field v; cmd+=("$v"); done
            (
                for name in $(compgen -e); do unset "$name"; done
                export "${vars[@]}"
                if [ "$t" = 0 ]; then exec "${cmd[@]}"; else exec /usr/bin/timeout -k 1 "$t" "${cmd[@]}"; fi
            ) < "$input" > /.pach/logs/out 2> /.pach/logs/err &
            wait "$!"
            status=$?
            kill -9 -1 2>/dev/null
            printf '%s %s\\n' "$k" "$status"
        done
        """

    /// Where the driver runs: bash and `timeout` from the host's `/usr`.
    static let tools = ["/usr/bin/bash", "/usr/bin/timeout"]

    /// Whether a batch can share a sandbox here: no `image` (the driver needs the host's tools) and the
    /// tools present.
    static func usable(image: String?) -> Bool {
        image == nil && tools.allSatisfy { access($0, X_OK) == 0 }
    }

    /// Whether `run` can go through the driver: no image, and every variable name one the shell can
    /// export (an input named `images-2` cannot be; such runs get a sandbox of their own).
    static func accepts(_ run: DatumRun) -> Bool {
        func letter(_ byte: UInt8) -> Bool { byte == 0x5F || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) }
        func exportable(_ name: String) -> Bool {
            guard let first = name.utf8.first, letter(first) else { return false }
            return name.utf8.allSatisfy { letter($0) || (0x30...0x39).contains($0) }
        }
        return run.image == nil && run.env.keys.allSatisfy(exportable) && run.inputs.allSatisfy { exportable($0.name) }
    }

    /// Makes the sandbox's folders under `folder` and starts the driver. `boundInputs` (input name →
    /// host folder, a FUSE view whose contents change from datum to datum) are bound at `/pfs/<name>`
    /// once, instead of being lent per datum.
    init(runtime: BwrapRuntime, folder: String, boundInputs: [String: String] = [:]) throws {
        self.runtime = runtime
        self.folder = folder
        self.boundInputs = boundInputs
        let manager = FileManager.default
        for name in ["pfs/out", "out", "ctl", "logs"] + boundInputs.keys.map({ "pfs/\($0)" }) {
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
                 ] + boundInputs.sorted { $0.key < $1.key }.flatMap { ["--ro-bind", $0.value, "/pfs/\($0.key)"] } + [
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

    /// Runs one datum (one `accepts`): its inputs and output folder are lent to the sandbox
    /// for the run and given back. Throws when the sandbox is gone (cancelled, or the driver died).
    func run(_ run: DatumRun) async throws -> DatumOutcome {
        guard !run.cmd.isEmpty else { throw RuntimeError("a datum run needs a command") }
        let number = try state.withLock { state throws(RuntimeError) -> Int in
            guard !state.ended else { throw RuntimeError("the batch's sandbox has ended") }
            defer { state.next += 1 }
            return state.next
        }
        var lent: [(from: String, to: String)] = []
        defer { for (from, to) in lent.reversed() { rename(to, from) } }
        for input in run.inputs where boundInputs[input.name] != input.hostPath {
            let inside = "\(folder)/pfs/\(input.name)"
            guard rename(input.hostPath, inside) == 0 else {
                throw RuntimeError("cannot lend input \(input.name) to the sandbox: \(String(cString: strerror(errno)))")
            }
            lent.append((input.hostPath, inside))
        }
        let environment = BwrapRuntime.environment(run.env, inputs: run.inputs, under: "/pfs").map { "\($0)=\($1)" }
        let head: [String] = ["\(number)", Self.seconds(run.timeout), try stdinFile(for: run.stdin), "\(environment.count)"]
        let fields: [String] = head + environment + ["\(run.cmd.count)"] + run.cmd
        let request: [UInt8] = fields.flatMap { field -> [UInt8] in Array(field.utf8) + [0] }

        let started = ContinuousClock.now
        let status = try await withTaskCancellationHandler {
            try await answer(request, number: number)
        } onCancel: {
            reaping.done.withLock { done in if !done { kill(-child.pid, SIGKILL) } }
        }
        let duration = ContinuousClock.now - started
        do { try moveOutputs(to: run.output) } catch {
            close()  // what is left in /pfs/out must not reach the next datum
            throw error
        }
        let (stdout, stdoutBytes) = Self.head(of: folder + "/logs/out", limit: run.logLimit)
        let (stderr, stderrBytes) = Self.head(of: folder + "/logs/err", limit: run.logLimit)
        let timedOut = run.timeout.map { status == 124 && duration >= $0 } ?? false
        let signal: Int32? = !timedOut && status > 128 && status <= 192 ? status - 128 : nil
        return DatumOutcome(exitCode: timedOut || signal != nil ? nil : status, signal: signal, timedOut: timedOut,
                            stdout: stdout, stderr: stderr, stdoutBytes: stdoutBytes, stderrBytes: stderrBytes,
                            duration: duration)
    }

    /// Where the sandbox reads `lines` from: /dev/null for none, else a file written once per content.
    private func stdinFile(for lines: [String]) throws -> String {
        guard !lines.isEmpty else { return "/dev/null" }
        let bytes: [UInt8] = lines.flatMap { line -> [UInt8] in Array(line.utf8) + [0x0A] }
        let name = "stdin-" + ChunkID(of: bytes).hex.prefix(16)
        if access("\(folder)/ctl/\(name)", F_OK) != 0 {
            try Data(bytes).write(to: URL(fileURLWithPath: "\(folder)/ctl/\(name)"))
        }
        return "/.pach/ctl/\(name)"
    }

    /// Sends the request and waits for the driver's "number status" line.
    private func answer(_ line: [UInt8], number: Int) async throws -> Int32 {
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

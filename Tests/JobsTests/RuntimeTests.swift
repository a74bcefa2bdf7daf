import Foundation
import Testing
@testable import Jobs

/// The container runtimes with real processes: bwrap where it is installed (scripts/test.sh installs
/// it), the plain process runtime everywhere.
@Suite struct RuntimeTests {
    static let bwrapPresent = FileManager.default.isExecutableFile(atPath: "/usr/bin/bwrap")

    /// A scratch folder with `in/x` = "hello\n" and an empty `out/`.
    final class Scratch {
        let path: String
        init() throws {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("jobs-runtime-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: path + "/in", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: path + "/out", withIntermediateDirectories: true)
            try Data("hello\n".utf8).write(to: URL(fileURLWithPath: path + "/in/x"))
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }
        func read(_ name: String) -> String? { try? String(contentsOfFile: "\(path)/\(name)", encoding: .utf8) }
    }

    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    /// Whether `pid` is gone or a zombie (dead, not yet reaped by whoever inherited it) within 5 s.
    static func ends(_ pid: Int32) async throws -> Bool {
        for _ in 0..<100 {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
            // The state follows the command name in parentheses: "123 (sleep) Z ...".
            if let close = stat.lastIndex(of: ")"), stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z") {
                return true
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    @Test(.enabled(if: bwrapPresent, "bubblewrap is not installed"))
    func bwrapRunsTheCodeOverItsInputsAndKeepsItsOutput() async throws {
        let scratch = try Scratch()
        let (runtime, why) = await BwrapRuntime.detect()
        let bwrap = try #require(runtime, "\(why)")
        let outcome = try await bwrap.run(DatumRun(
            cmd: ["/bin/sh", "-c", "cat \"$in\" > /pfs/out/y; echo \"$GREETING from $(pwd) on $in\"; cat; echo oops >&2; exit 3"],
            stdin: ["line 1", "line 2"], env: ["GREETING": "hi"],
            inputs: [.init(name: "in", hostPath: scratch.path + "/in", datumPath: "/x")], output: scratch.path + "/out"))
        #expect(outcome.exitCode == 3 && !outcome.succeeded() && outcome.succeeded(accepting: [3]), "\(outcome.summary)")
        #expect(Self.text(outcome.stdout) == "hi from /pfs on /pfs/in/x\nline 1\nline 2\n")
        #expect(Self.text(outcome.stderr) == "oops\n")
        #expect(scratch.read("out/y") == "hello\n")
    }

    @Test(.enabled(if: bwrapPresent, "bubblewrap is not installed"))
    func bwrapCodeCannotWriteOutsideItsOutputNorReachTheNetwork() async throws {
        let scratch = try Scratch()
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: 0, sin_addr: in_addr(s_addr: inet_addr("127.0.0.1")), sin_zero: (0, 0, 0, 0, 0, 0, 0, 0))
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) } }
        listen(listener, 1)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
        let port = Int(UInt16(bigEndian: address.sin_port))
        let script = """
            touch /usr/evil 2>/dev/null && echo wrote-usr
            touch /pfs/in/evil 2>/dev/null && echo wrote-input
            echo scratch > /tmp/evil && echo wrote-own-tmp
            bash -c 'exec 3<>/dev/tcp/127.0.0.1/\(port)' 2>/dev/null && echo reached-host
            mount -o remount,rw,bind /usr 2>/dev/null && touch /usr/evil 2>/dev/null && echo remounted-usr
            echo 1 > /proc/sys/vm/drop_caches 2>/dev/null && echo wrote-sysctl
            grep -c ':' /proc/net/dev
            ls /proc | grep -c '^[0-9]'
            """
        let (runtime, why) = await BwrapRuntime.detect()
        let bwrap = try #require(runtime, "\(why)")
        let outcome = try await bwrap.run(DatumRun(cmd: ["/bin/sh", "-c", script],
                                                   inputs: [.init(name: "in", hostPath: scratch.path + "/in")],
                                                   output: scratch.path + "/out"))
        let lines = Self.text(outcome.stdout).split(separator: "\n").map(String.init)
        #expect(lines.first == "wrote-own-tmp", "only its own /tmp is writable: \(lines)")
        #expect(!lines.contains("reached-host"), "the code reached the host's loopback")
        #expect(!lines.contains("remounted-usr") && !lines.contains("wrote-sysctl"), "the code kept powers of root: \(lines)")
        #expect(lines.dropFirst().first == "1", "only the loopback interface: \(lines)")
        #expect((Int(lines.last ?? "") ?? 99) <= 4, "the node's processes are hidden: \(lines)")
        #expect(!FileManager.default.fileExists(atPath: "/usr/evil") && !FileManager.default.fileExists(atPath: scratch.path + "/in/evil"))
    }

    @Test(.enabled(if: bwrapPresent, "bubblewrap is not installed"))
    func aMissingCommandFailsTheRunWithItsReason() async throws {
        let scratch = try Scratch()
        let outcome = try await BwrapRuntime().run(DatumRun(cmd: ["no-such-program"], output: scratch.path + "/out"))
        #expect(!outcome.succeeded())
        #expect(Self.text(outcome.stderr).contains("no-such-program"), "\(Self.text(outcome.stderr))")
    }

    @Test func timeoutKillsTheWholeGroupAndLogsAreBounded() async throws {
        let scratch = try Scratch()
        let runtime = ProcessRuntime(scratch: scratch.path)
        let slow = try await runtime.run(DatumRun(cmd: ["/bin/sh", "-c", "sleep 30 & sleep 30"], output: scratch.path + "/out",
                                                  timeout: .milliseconds(300)))
        #expect(slow.timedOut && !slow.succeeded(), "\(slow.summary)")
        let loud = try await runtime.run(DatumRun(cmd: ["/bin/sh", "-c", "head -c 3000000 /dev/zero; echo done >&2"],
                                                  output: scratch.path + "/out", logLimit: 1_000))
        #expect(loud.succeeded() && loud.stdout.count == 1_000 && loud.stdoutBytes == 3_000_000)
        #expect(Self.text(loud.stderr) == "done\n")
        // A child that ignores its input does not block the run.
        let deaf = try await runtime.run(DatumRun(cmd: ["/bin/true"], stdin: Array(repeating: String(repeating: "x", count: 1_000), count: 1_000),
                                                  output: scratch.path + "/out"))
        #expect(deaf.succeeded())
    }

    /// Regression (CI, run of stop 17): the timeout was a timer on the cooperative pool, and a pool kept
    /// busy by other tests let a datum run to its end (`exit 0`) instead of being killed. The timeout is
    /// now kept by the thread that waits for the child: with every pool thread blocked for longer than the
    /// child runs, the child must still be killed at its limit.
    @Test func theTimeoutHoldsWhileTheCooperativePoolIsBlocked() async throws {
        let scratch = try Scratch()
        let runtime = ProcessRuntime(scratch: scratch.path)
        let width = ProcessInfo.processInfo.activeProcessorCount
        let blockers = (0..<width).map { _ in Task.detached { usleep(2_500_000) } }
        let run = DatumRun(cmd: ["/bin/sh", "-c", "sleep 1"], output: scratch.path + "/out", timeout: .milliseconds(200))
        let outcome = try await runtime.run(run)
        for blocker in blockers { await blocker.value }
        #expect(outcome.timedOut && !outcome.succeeded(), "\(outcome.summary)")
    }

    @Test func processRuntimeGivesPathsThroughTheEnvironment() async throws {
        let scratch = try Scratch()
        let runtime = ProcessRuntime(scratch: scratch.path)
        let outcome = try await runtime.run(DatumRun(cmd: ["sh", "-c", "cat in/x > out/y; cat \"$PACH_PFS/in/x\"; cat \"$in\""],
                                                     inputs: [.init(name: "in", hostPath: scratch.path + "/in", datumPath: "/x")],
                                                     output: scratch.path + "/out"))
        #expect(outcome.succeeded(), "\(outcome.summary): \(Self.text(outcome.stderr))")
        #expect(Self.text(outcome.stdout) == "hello\nhello\n" && scratch.read("out/y") == "hello\n")
        await #expect(throws: RuntimeError.self) {
            _ = try await runtime.run(DatumRun(cmd: ["no-such-program"], output: scratch.path + "/out"))
        }
    }

    /// `stop job` and `restart datum` cancel the worker's task: the code and what it started die at once
    /// (the code would exit 0 after a minute; killed, it ends by SIGKILL). No time bound: under CI's
    /// load the cooperative pool can be busy for minutes (CI, stop 19: 223 s for this test).
    @Test func cancellingTheRunKillsTheWholeGroup() async throws {
        let scratch = try Scratch()
        let runtime = ProcessRuntime(scratch: scratch.path)
        let pidFile = scratch.path + "/child.pid"
        let run = DatumRun(cmd: ["/bin/sh", "-c", "sleep 60 & echo $! > \(pidFile); wait"], output: scratch.path + "/out")
        let task = Task { try await runtime.run(run) }
        while !FileManager.default.fileExists(atPath: pidFile) { try await Task.sleep(for: .milliseconds(20)) }
        task.cancel()
        let outcome = try await task.value
        #expect(outcome.signal == SIGKILL && !outcome.succeeded(), "\(outcome.summary)")
        let child = try #require(Int32((scratch.read("child.pid") ?? "").trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(try await Self.ends(child), "the code's own child outlived the cancellation")
        // Cancelled before it starts: nothing runs.
        let early = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await runtime.run(DatumRun(cmd: ["/bin/true"], output: scratch.path + "/out"))
        }
        await #expect(throws: RuntimeError.self) { _ = try await early.value }
    }

    /// Found by `scripts/bench.sh jobs`: its data dirs were under a 0700 folder from mktemp, so the
    /// sandbox (nobody) could not bind any datum's folder and every datum failed with "exit 1". The probe
    /// now names such a folder, and the node falls back saying why.
    @Test func aFolderTheSandboxCannotEnterIsNamed() async throws {
        let scratch = try Scratch()
        let closed = scratch.path + "/closed"
        try FileManager.default.createDirectory(atPath: closed + "/data/jobs", withIntermediateDirectories: true)
        chmod(closed, 0o700)
        #expect(BwrapRuntime.closedAncestor(of: closed + "/data/jobs") == closed)
        #expect(BwrapRuntime.closedAncestor(of: scratch.path + "/in") == nil)
        if geteuid() == 0, Self.bwrapPresent {
            let (runtime, why) = await BwrapRuntime.detect(scratch: closed + "/data/jobs")
            #expect(runtime == nil && why.contains("cannot enter \(closed)"), "\(why)")
        }
    }

    @Test func createTimeChecksFindMissingProgramsAndImages() throws {
        func spec(_ transform: String) throws -> PipelineSpec {
            try PipelineSpec(parsing: #"{"pipeline": {"name": "p"}, "transform": \#(transform), "input": {"pfs": {"repo": "r", "glob": "/"}}}"#)
        }
        #expect(ProgramCheck.problem(with: try spec(#"{"cmd": ["sh", "-c", "true"]}"#)) == nil)
        #expect(ProgramCheck.problem(with: try spec(#"{"cmd": ["/bin/sh"], "err_cmd": ["true"]}"#)) == nil)
        let missing = ProgramCheck.problem(with: try spec(#"{"cmd": ["no-such-program"]}"#))
        #expect(missing?.hasPrefix("transform.cmd[0]: no-such-program is not found in PATH") == true, "\(missing ?? "")")
        let errCmd = ProgramCheck.problem(with: try spec(#"{"cmd": ["sh"], "err_cmd": ["/no/such"]}"#))
        #expect(errCmd?.hasPrefix("transform.err_cmd[0]") == true, "\(errCmd ?? "")")
        let path = ProgramCheck.problem(with: try spec(#"{"cmd": ["sh"], "env": {"PATH": "/nowhere"}}"#))
        #expect(path?.contains("PATH /nowhere") == true)
        let image = ProgramCheck.problem(with: try spec(#"{"cmd": ["sh"], "image": "/no/such/image"}"#))
        #expect(image == "transform.image: /no/such/image is not a folder")
    }

    /// A batch's datums in one sandbox: each sees only its own inputs and environment, keeps its own
    /// output and logs, and leaves nothing running for the next.
    @Test(.enabled(if: bwrapPresent, "bubblewrap is not installed"))
    func aBatchSandboxRunsDatumsOneAfterAnotherBehindTheSameWalls() async throws {
        let scratch = try Scratch()
        let (runtime, why) = await BwrapRuntime.detect()
        let bwrap = try #require(runtime, "\(why)")
        try #require(BatchSandbox.usable(image: nil))
        let sandbox = try BatchSandbox(runtime: bwrap, folder: scratch.path + "/sandbox")
        defer { sandbox.close() }
        let script = """
            cat "$in" > /pfs/out/copy; ls /pfs/in | tr '\\n' ' '; echo "$NAME" >&2
            touch /pfs/in/evil 2>/dev/null && echo wrote-input
            touch /pfs/evil 2>/dev/null && echo wrote-pfs
            bash -c 'exec 3<>/dev/tcp/127.0.0.1/1' 2>/dev/null && echo reached-network
            sleep 86398 &
            exit $CODE
            """
        for (index, code) in [0, 3, 0].enumerated() {
            let input = "\(scratch.path)/in\(index)"
            let output = "\(scratch.path)/out\(index)"
            try FileManager.default.createDirectory(atPath: input, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            try Data("datum \(index)\n".utf8).write(to: URL(fileURLWithPath: "\(input)/f\(index)"))
            let outcome = try await sandbox.run(DatumRun(
                cmd: ["/bin/sh", "-c", script], env: ["NAME": "n\(index)", "CODE": "\(code)"],
                inputs: [.init(name: "in", hostPath: input, datumPath: "/f\(index)")], output: output))
            #expect(outcome.exitCode == Int32(code), "\(outcome.summary)")
            #expect(Self.text(outcome.stdout) == "f\(index) ", "only its own input, no writes outside /pfs/out: \(Self.text(outcome.stdout))")
            #expect(Self.text(outcome.stderr) == "n\(index)\n")
            #expect(try String(contentsOfFile: output + "/copy", encoding: .utf8) == "datum \(index)\n")
            #expect(FileManager.default.fileExists(atPath: "\(input)/f\(index)"), "the input is given back")
            let sleepers = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap(Int32.init).filter { pid in
                let raw = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data()
                return String(decoding: raw, as: UTF8.self).hasPrefix("sleep\u{0}86398")
            }
            for pid in sleepers { #expect(try await Self.ends(pid), "datum \(index) left a process running") }
        }
        // Exactly the datum's environment, whatever its values hold; names the shell cannot export go to
        // a sandbox of their own.
        let env = try await sandbox.run(DatumRun(cmd: ["/usr/bin/env", "-0"], env: ["ODD": "a b\n'c\"$d"],
                                                 output: scratch.path + "/out"))
        let seen = Set(env.stdout.split(separator: 0).map { String(decoding: $0, as: UTF8.self) })
        #expect(seen == ["ODD=a b\n'c\"$d", "PATH=/usr/local/bin:/usr/bin:/bin"], "\(seen)")
        #expect(!BatchSandbox.accepts(DatumRun(cmd: ["true"], inputs: [.init(name: "images-2", hostPath: "/x")], output: "/y")))
        let fed = try await sandbox.run(DatumRun(cmd: ["cat"], stdin: ["line 1", "line 2"], output: scratch.path + "/out"))
        #expect(Self.text(fed.stdout) == "line 1\nline 2\n")
        #expect(BatchSandbox.accepts(DatumRun(cmd: ["true"], env: ["A_1": "x"], inputs: [.init(name: "in", hostPath: "/x")], output: "/y")))
        // A datum over its limit is killed and reads as timed out; the next one still runs.
        let late = try await sandbox.run(DatumRun(cmd: ["sleep", "30"], output: scratch.path + "/out", timeout: .milliseconds(300)))
        #expect(late.timedOut && !late.succeeded(), "\(late.summary)")
        let after = try await sandbox.run(DatumRun(cmd: ["sh", "-c", "head -c 5000 /dev/zero"], output: scratch.path + "/out", logLimit: 100))
        #expect(after.succeeded() && after.stdout.count == 100 && after.stdoutBytes == 5_000)
        // Cancelled mid-run: the code is killed and the sandbox is gone.
        let task = Task { try await sandbox.run(DatumRun(cmd: ["sleep", "30"], output: scratch.path + "/out")) }
        try await Task.sleep(for: .milliseconds(300))
        task.cancel()
        await #expect(throws: RuntimeError.self) { _ = try await task.value }
        #expect(sandbox.ended)
    }
}

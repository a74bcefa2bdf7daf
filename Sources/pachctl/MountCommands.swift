import ArgumentParser
import Dispatch
import Foundation
import PFS
import PachctlKit

#if canImport(Glibc)
import Glibc
#endif

/// `pachctl mount DIR`: the cluster's repos, branches and commits as folders (FUSE).
struct MountCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mount",
        abstract: "Show repos, branches and commits as folders under DIR (FUSE), until Ctrl-C or `pachctl unmount DIR`.",
        discussion: """
            DIR/<repo>/<branch>/... is a branch's head (re-read after --staleness), DIR/<repo>/@<commit-id>/... \
            any commit (reachable by name, not listed). --commit REPO@REF shows that repo at one ref, as \
            DIR/<repo>/... . File bytes are fetched a block at a time, read ahead while a file is read in \
            order, and cached (--cache-mb). Read-only unless --write: then a file written under a branch is \
            put into it when closed (one commit per close, or into the branch's open commit), and rm deletes.
            """)

    @Argument(help: "An existing, empty directory.")
    var directory: String

    @Flag(help: "Put files written under a branch into it (without: every write fails with EROFS).")
    var write = false

    @Option(name: .customLong("commit"), help: "REPO@REF: show REPO at this branch or commit only (repeatable).")
    var pins: [String] = []

    @Flag(help: "Mount in the background and return once the mount is up.")
    var daemon = false

    @Option(help: "How long a branch head or listing is trusted before it is read again (e.g. 1s, 200ms, 0).")
    var staleness = "1s"

    @Option(name: .customLong("cache-mb"), help: "Memory for cached file blocks, MiB.")
    var cacheMiB = 256

    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        guard cacheMiB >= 16 else { throw ValidationError("--cache-mb must be at least 16") }
    }

    func run() async throws {
        let folder = try MountFolder.check(directory)
        let pinned = try Self.parsePins(pins)
        let stalenessNanos = try Self.parseStaleness(staleness)
        let session = try Session(connection)
        let link = MountConnection(session: session)
        let source = ClusterAPISource(connection: link)
        // An unreachable cluster fails here, before anything is mounted (not as an empty tree).
        let repos: [String]
        do { repos = try await source.repos() } catch let error as ClusterSourceError {
            link.close()
            throw PachctlError.configuration("cannot mount \(folder): \(error)")
        }
        for repo in pinned.keys where !repos.contains(repo) {
            link.close()
            throw PachctlError.usage("--commit \(repo)@\(pinned[repo]!): there is no repo \(repo)")
        }
        if daemon {
            link.close()
            try MountDaemon.start(directory: folder)
            return
        }
        var options = ClusterFileSystem.Options()
        options.writable = write
        options.stalenessNanos = stalenessNanos
        options.pins = pinned
        let blocks = BlockCache(blockBytes: 1 << 20, capacityBytes: cacheMiB << 20, readaheadBlocks: 8,
                                failure: ClusterSourceError.fuseError)
        let fileSystem = ClusterFileSystem(source: source, options: options, blocks: blocks)
        var mountOptions = FuseMount.Options()
        mountOptions.readOnly = !write
        mountOptions.name = "pachyderm"
        let seconds = Double(stalenessNanos) / 1e9
        mountOptions.entryTimeout = seconds
        mountOptions.attributeTimeout = seconds
        let mount: FuseMount
        do { mount = try FuseMount(fileSystem, at: folder, options: mountOptions) } catch {
            link.close()
            throw PachctlError.configuration("\(error)")
        }
        let endpoint = link.endpoint.map { "\($0)" } ?? "the cluster"
        Self.note("mounted \(endpoint) at \(folder) (\(write ? "writable" : "read-only")); Ctrl-C or `pachctl unmount \(folder)` unmounts")
        let signals = MountSignals { mount.unmount() }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            // Waited for on a thread of its own: the cooperative pool must not block.
            Thread.detachNewThread {
                mount.wait()
                done.resume()
            }
        }
        signals.cancel()
        link.close()
        Self.note("unmounted \(folder)")
    }

    static func note(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }

    static func parsePins(_ pins: [String]) throws(PachctlError) -> [String: String] {
        var pinned: [String: String] = [:]
        for pin in pins {
            let parts = pin.split(separator: "@", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[1].isEmpty, (try? RepoName(parts[0])) != nil else {
                throw .usage("--commit '\(pin)': write REPO@BRANCH or REPO@COMMIT-ID")
            }
            guard (try? BranchName(parts[1])) != nil || (try? CommitID(parts[1])) != nil else {
                throw .usage("--commit '\(pin)': '\(parts[1])' is neither a branch name nor a commit id")
            }
            guard pinned[parts[0]] == nil else { throw .usage("--commit names \(parts[0]) twice") }
            pinned[parts[0]] = parts[1]
        }
        return pinned
    }

    static func parseStaleness(_ text: String) throws(PachctlError) -> Int64 {
        if ["0", "0s", "0ms"].contains(text.trimmingCharacters(in: .whitespaces)) { return 0 }
        do {
            let duration = try DurationText.parse(text)
            return duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
        } catch {
            throw .usage("--staleness '\(text)' is not a duration: write e.g. 1s, 200ms or 0")
        }
    }
}

/// `pachctl unmount DIR`.
struct UnmountCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unmount", abstract: "Unmount a `pachctl mount` (its process then exits).")

    @Argument(help: "The mounted directory.")
    var directory: String

    @Flag(help: "Detach now even if a process is using the mount; it goes once they let go.")
    var lazy = false

    func run() async throws {
        let folder = URL(fileURLWithPath: directory).standardizedFileURL.path
        guard FuseMount.isMountPoint(folder) else { throw PachctlError.usage("\(folder) is not a mount") }
        guard FuseMount.detach(folder, lazy: lazy) else {
            throw PachctlError.configuration("\(folder) is busy (a process has a file open there or is inside it); "
                                             + "close those, or unmount with --lazy")
        }
        for _ in 0..<100 where FuseMount.isMountPoint(folder) { try await Task.sleep(for: .milliseconds(50)) }
        MountCommand.note("unmounted \(folder)")
    }
}

/// Checks of the mount directory, before any call.
enum MountFolder {
    static func check(_ path: String) throws(PachctlError) -> String {
        let folder = URL(fileURLWithPath: path).standardizedFileURL.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .usage("\(folder) is not a directory: create it first (mkdir -p \(path))")
        }
        guard !FuseMount.isMountPoint(folder) else {
            throw .usage("\(folder) is already mounted: `pachctl unmount \(path)` first")
        }
        guard ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).isEmpty else {
            throw .usage("\(folder) is not empty: mount on an empty directory")
        }
        return folder
    }
}

/// SIGINT, SIGTERM and SIGHUP unmount (the mount's process then ends normally).
final class MountSignals: @unchecked Sendable {  // the sources are set once, in init
    private let sources: [any DispatchSourceSignal]

    init(_ handler: @escaping @Sendable () -> Void) {
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM, SIGHUP] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { Thread.detachNewThread(handler) }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    func cancel() {
        for source in sources { source.cancel() }
    }
}

/// `mount --daemon`: the same command without --daemon, in a session of its own, its output in a log
/// file; returns once the directory is mounted, or fails with the child's own error.
enum MountDaemon {
    static func start(directory: String) throws {
        var arguments = CommandLine.arguments.filter { $0 != "--daemon" }
        arguments[0] = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let log = "\(NSTemporaryDirectory())/pachctl-mount-\(getpid()).log".replacingOccurrences(of: "//", with: "/")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, 0x80)  // POSIX_SPAWN_SETSID (a _GNU_SOURCE name)
        var pid: pid_t = 0
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let spawned = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, environ)
        guard spawned == 0 else { throw PachctlError.configuration("cannot start the mount process: \(String(cString: strerror(spawned)))") }
        for _ in 0..<600 {
            if FuseMount.isMountPoint(directory) {
                MountCommand.note("mounted at \(directory) (process \(pid), log \(log)); `pachctl unmount \(directory)` unmounts")
                return
            }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                let line = output.split(separator: "\n").last.map { String($0).replacingOccurrences(of: "error: ", with: "") }
                throw PachctlError.configuration(line ?? "the mount process exited before mounting")
            }
            usleep(50_000)
        }
        throw PachctlError.configuration("the mount process (\(pid)) did not mount \(directory) within 30 s; see \(log)")
    }
}

import CFuse
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A `FuseFileSystem` mounted at a directory, served by libfuse's multi-threaded loop on threads of
/// its own (the loop's workers call the file system; none of them is a Swift concurrency thread).
///
/// The mount lasts until `unmount()` or until someone else unmounts the directory (`fusermount -u`,
/// `umount`); either way the loop ends, libfuse is torn down, and `wait()` returns.
public final class FuseMount: Sendable {
    public struct Options: Sendable {
        /// The kernel refuses every write (EROFS) before the file system sees it.
        public var readOnly = true
        /// Other users (a job's sandbox runs as nobody) may use the mount; root only.
        public var allowOther = false
        /// What `mount` and `df` show as the source.
        public var name = "pfs"
        /// How long the kernel may trust a name lookup and attributes, in seconds (0: ask every time).
        public var entryTimeout = 1.0
        public var attributeTimeout = 1.0
        /// How long the kernel may remember that a name does not exist.
        public var negativeTimeout = 0.0

        public init() {}

        /// libfuse's `-o` list for these options.
        var arguments: String {
            var list = ["fsname=\(name)", "subtype=pachyderm", "entry_timeout=\(entryTimeout)",
                        "attr_timeout=\(attributeTimeout)", "negative_timeout=\(negativeTimeout)",
                        "big_writes", "max_readahead=4194304", "default_permissions"]
            if readOnly { list.append("ro") }
            if allowOther { list.append("allow_other") }
            return list.joined(separator: ",")
        }
    }

    public let mountpoint: String
    private let handles: Handles
    private let lifecycle = Lifecycle()

    /// Whether the loop has ended, and a signal for those who wait for it.
    private final class Lifecycle: Sendable {
        let ended = Mutex(false)
        let signal = DispatchSemaphore(value: 0)

        func end() {
            ended.withLock { $0 = true }
            signal.signal()
        }
    }

    /// libfuse's pointers; used by the loop thread and by `unmount`.
    private struct Handles: @unchecked Sendable {
        var fuse: OpaquePointer
        var channel: OpaquePointer
        var box: Unmanaged<FuseBox>
    }

    /// Mounts `fileSystem` at `mountpoint` (an existing, empty directory) and starts serving it.
    public init(_ fileSystem: any FuseFileSystem, at mountpoint: String, options: Options) throws(FuseMountError) {
        self.mountpoint = mountpoint
        var args = fuse_args(argc: 0, argv: nil, allocated: 0)
        defer { fuse_opt_free_args(&args) }
        for argument in ["pachfs", "-o", options.arguments] { _ = fuse_opt_add_arg(&args, argument) }
        guard access("/dev/fuse", R_OK | W_OK) == 0 else {
            throw .unavailable("/dev/fuse is missing or not usable (\(String(cString: strerror(errno)))); load the fuse module")
        }
        guard let channel = fuse_mount(mountpoint, &args) else {
            throw .mountFailed(mountpoint)
        }
        let box = Unmanaged.passRetained(FuseBox(fileSystem))
        var operations = FuseOperations.table
        guard let fuse = fuse_new(channel, &args, &operations, MemoryLayout<fuse_operations>.size, box.toOpaque()) else {
            fuse_unmount(mountpoint, channel)
            box.release()
            throw .mountFailed(mountpoint)
        }
        handles = Handles(fuse: fuse, channel: channel, box: box)
        let thread = Thread { [handles, mountpoint, lifecycle] in
            _ = fuse_loop_mt(handles.fuse)
            fuse_unmount(mountpoint, handles.channel)
            fuse_destroy(handles.fuse)
            handles.box.release()
            lifecycle.end()
        }
        thread.name = "fuse-loop"
        thread.start()
    }

    /// Whether the loop has ended (the directory is no longer mounted by this process).
    public var isMounted: Bool { !lifecycle.ended.withLock { $0 } }

    /// Blocks until the mount ends.
    public func wait() {
        lifecycle.signal.wait()
        lifecycle.signal.signal()
    }

    /// Unmounts (lazily: a process still inside the directory keeps what it has open) and waits for the
    /// loop to end. Safe to call more than once.
    public func unmount() {
        guard isMounted else { return }
        fuse_exit(handles.fuse)
        Self.detach(mountpoint)
        wait()
    }

    /// Detaches whatever is mounted at `path`: umount2 as root, else the setuid `fusermount`.
    @discardableResult
    public static func detach(_ path: String, lazy: Bool = true) -> Bool {
        if geteuid() == 0 {
            return umount2(path, lazy ? Int32(MNT_DETACH) : 0) == 0
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/fusermount")
        process.arguments = lazy ? ["-u", "-z", path] : ["-u", path]
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    /// Whether a FUSE file system is mounted at `path` now (from /proc/self/mountinfo).
    public static func isMountPoint(_ path: String) -> Bool {
        let resolved = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        guard let table = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return false }
        for line in table.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count > 4, let dash = fields.firstIndex(of: "-"), dash + 1 < fields.count else { continue }
            let point = fields[4].replacingOccurrences(of: "\\040", with: " ")
            if point == resolved && fields[dash + 1].hasPrefix("fuse") { return true }
        }
        return false
    }
}

/// Why a mount could not be made.
public enum FuseMountError: Error, Sendable, CustomStringConvertible {
    case unavailable(String)
    case mountFailed(String)

    public var description: String {
        switch self {
        case .unavailable(let why): return "FUSE is not available: \(why)"
        case .mountFailed(let path):
            return "cannot mount at \(path): libfuse refused (is it an existing empty directory, not already mounted?)"
        }
    }
}

/// The file system behind a mount, reached from the C callbacks through libfuse's private data.
final class FuseBox: Sendable {
    let fileSystem: any FuseFileSystem
    init(_ fileSystem: any FuseFileSystem) { self.fileSystem = fileSystem }
}

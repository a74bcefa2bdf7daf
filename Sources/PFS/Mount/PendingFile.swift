import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A file being written through a mount: its bytes in a local scratch file until a close puts them.
final class PendingFile: @unchecked Sendable {
    let target: ClusterFileSystem.Target
    let mountPath: String
    let scratchPath: String
    private let descriptor: Int32
    private let lock = NSLock()
    private var changed: Bool
    /// Whether anything was written or truncated since the file was opened.
    private var touched = false

    /// A new scratch file in `folder`; `changed` when it already differs from what the commit holds.
    init(target: ClusterFileSystem.Target, mountPath: String, folder: String, changed: Bool) throws(FuseError) {
        self.target = target
        self.mountPath = mountPath
        var template = Array("\(folder)/pachctl-write-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw FuseError(errno) }
        descriptor = fd
        scratchPath = String(cString: template)
        self.changed = changed
    }

    var size: UInt64 {
        var info = stat()
        return fstat(descriptor, &info) == 0 ? UInt64(info.st_size) : 0
    }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(FuseError) -> Int {
        lock.withLock {
            changed = true
            touched = true
        }
        let written = pwrite(descriptor, bytes.baseAddress, bytes.count, off_t(offset))
        guard written >= 0 else { throw FuseError(errno) }
        return written
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(FuseError) -> Int {
        let count = pread(descriptor, buffer.baseAddress, buffer.count, off_t(offset))
        guard count >= 0 else { throw FuseError(errno) }
        return count
    }

    func truncate(to size: UInt64) throws(FuseError) {
        lock.withLock {
            changed = true
            touched = true
        }
        guard ftruncate(descriptor, off_t(size)) == 0 else { throw FuseError(errno) }
    }

    /// Whether there is something to put, clearing the mark (set it again with `markChanged` if the put fails).
    func takeChanged() -> Bool {
        lock.withLock {
            defer { changed = false }
            return changed
        }
    }

    func markChanged() { lock.withLock { changed = true } }

    /// Whether the file was written since it was opened: a shell's `> file` closes a duplicate of the
    /// descriptor before writing, and putting the still empty file then would make a commit of nothing.
    var written: Bool { lock.withLock { touched } }

    func close() {
        Glibc.close(descriptor)
        unlink(scratchPath)
    }
}

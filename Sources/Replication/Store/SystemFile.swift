import CLinux
import Glibc

/// An open file descriptor with the few calls the chunk store needs, each retried on EINTR and turned
/// into a `ReplicationError.io` that names the call and the file. Closed on deinit.
///
/// The same shape as Raft's `SystemFile`, repeated because Replication does not depend on Raft.
final class SystemFile {
    /// The path the file was opened at, for error messages.
    let path: String
    private var descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit { close() }

    /// Opens `path` with `flags` (O_CLOEXEC is always added).
    static func open(_ path: String, flags: Int32, mode: mode_t = 0o644) throws(ReplicationError) -> SystemFile {
        let descriptor = try retryingEINTR("open \(path)") { Glibc.open(path, flags | O_CLOEXEC, mode) }
        return SystemFile(path: path, descriptor: descriptor)
    }

    /// Opens `path` read-only, or returns nil when no file has that name.
    static func openIfExists(_ path: String) throws(ReplicationError) -> SystemFile? {
        while true {
            let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
            if descriptor >= 0 { return SystemFile(path: path, descriptor: descriptor) }
            let code = errno
            if code == EINTR { continue }
            if code == ENOENT { return nil }
            throw .io("open \(path): \(String(cString: strerror(code)))")
        }
    }

    /// The raw descriptor, for calls this type does not wrap (flock).
    var fileDescriptor: Int32 { descriptor }

    /// Closes the descriptor. Errors of close are ignored: every byte that matters was synced before.
    func close() {
        if descriptor >= 0 { _ = Glibc.close(descriptor) }
        descriptor = -1
    }

    /// The current size in bytes.
    func size() throws(ReplicationError) -> Int {
        var status = stat()
        _ = try SystemFile.retryingEINTR("stat \(path)") { fstat(descriptor, &status) }
        return Int(status.st_size)
    }

    /// Up to `count` bytes from `offset`: fewer only when the file ends first.
    func read(count: Int, at offset: Int) throws(ReplicationError) -> [UInt8] {
        var failure: ReplicationError?
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var done = 0
            while done < count {
                let got: Int
                do throws(ReplicationError) {
                    got = try SystemFile.retryingEINTR("read \(path)") {
                        pread(descriptor, buffer.baseAddress! + done, count - done, off_t(offset + done))
                    }
                } catch {
                    failure = error
                    break
                }
                if got == 0 { break }
                done += got
            }
            initialized = done
        }
        if let failure { throw failure }
        return bytes
    }

    /// Writes all of `bytes` at `offset`, continuing after short writes.
    func write(_ bytes: [UInt8], at offset: Int) throws(ReplicationError) {
        var done = 0
        while done < bytes.count {
            let count = try SystemFile.retryingEINTR("write \(path)") {
                bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress! + done, bytes.count - done, off_t(offset + done)) }
            }
            guard count > 0 else { throw .io("write \(path): no progress at byte \(offset + done)") }
            done += count
        }
    }

    /// Cuts the file to `size` bytes.
    func truncate(to size: Int) throws(ReplicationError) {
        _ = try SystemFile.retryingEINTR("truncate \(path)") { ftruncate(descriptor, off_t(size)) }
    }

    /// fsync: data and all metadata.
    func sync() throws(ReplicationError) {
        _ = try SystemFile.retryingEINTR("fsync \(path)") { fsync(descriptor) }
    }

    /// syncfs: everything written so far to the file system holding this file, by anyone.
    func syncFileSystem() throws(ReplicationError) {
        _ = try SystemFile.retryingEINTR("syncfs \(path)") { syncfs(descriptor) }
    }

    /// Runs a system call until it does not fail with EINTR; any other failure becomes `.io`.
    static func retryingEINTR<Value: BinaryInteger>(
        _ what: @autoclosure () -> String, _ call: () -> Value
    ) throws(ReplicationError) -> Value {
        while true {
            let result = call()
            if result >= 0 { return result }
            let code = errno
            if code == EINTR { continue }
            throw .io("\(what()): \(String(cString: strerror(code)))")
        }
    }
}

import Glibc

/// An open file descriptor with the few calls storage needs, each retried on EINTR and turned into a
/// `RaftError.storage` that names the file. Closed on deinit.
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
    static func open(_ path: String, flags: Int32, mode: mode_t = 0o644) throws(RaftError) -> SystemFile {
        let descriptor = try retryingEINTR("open \(path)") { Glibc.open(path, flags | O_CLOEXEC, mode) }
        return SystemFile(path: path, descriptor: descriptor)
    }

    /// The raw descriptor, for calls this type does not wrap (flock).
    var fileDescriptor: Int32 { descriptor }

    /// Closes the descriptor; later calls fail with EBADF. Errors of close are ignored: every byte that
    /// matters was synced before.
    func close() {
        if descriptor >= 0 { _ = Glibc.close(descriptor) }
        descriptor = -1
    }

    /// The current size in bytes.
    func size() throws(RaftError) -> Int {
        var status = stat()
        _ = try SystemFile.retryingEINTR("stat \(path)") { fstat(descriptor, &status) }
        return Int(status.st_size)
    }

    /// The whole file.
    func readAll() throws(RaftError) -> [UInt8] {
        let size = try size()
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let count = try SystemFile.retryingEINTR("read \(path)") {
                bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + done, size - done, off_t(done)) }
            }
            if count == 0 { break }  // The file shrank under us; return what is there.
            done += count
        }
        return done == size ? bytes : Array(bytes[..<done])
    }

    /// Writes all of `bytes` at `offset`, continuing after short writes.
    func write(_ bytes: [UInt8], at offset: Int) throws(RaftError) {
        var done = 0
        while done < bytes.count {
            let count = try SystemFile.retryingEINTR("write \(path)") {
                bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress! + done, bytes.count - done, off_t(offset + done)) }
            }
            guard count > 0 else { throw .storage("write \(path): no progress at byte \(offset + done)") }
            done += count
        }
    }

    /// Cuts the file to `size` bytes.
    func truncate(to size: Int) throws(RaftError) {
        _ = try SystemFile.retryingEINTR("truncate \(path)") { ftruncate(descriptor, off_t(size)) }
    }

    /// fdatasync: enough after appending to a file that already exists, since the size that changed is
    /// data the file needs and fdatasync flushes it.
    func syncData(_ meter: SyncMeter) throws(RaftError) {
        _ = try SystemFile.retryingEINTR("fdatasync \(path)") { meter.measure { fdatasync(descriptor) } }
    }

    /// fsync: data and all metadata.
    func syncAll(_ meter: SyncMeter) throws(RaftError) {
        _ = try SystemFile.retryingEINTR("fsync \(path)") { meter.measure { fsync(descriptor) } }
    }

    /// Runs a system call until it does not fail with EINTR; ENOSPC and EDQUOT become `.outOfSpace`, any
    /// other failure `.storage`.
    static func retryingEINTR<Value: BinaryInteger>(
        _ what: @autoclosure () -> String, _ call: () -> Value
    ) throws(RaftError) -> Value {
        while true {
            let result = call()
            if result >= 0 { return result }
            let code = errno
            if code == EINTR { continue }
            if code == ENOSPC || code == EDQUOT { throw .outOfSpace("\(what()): \(String(cString: strerror(code)))") }
            throw .storage("\(what()): \(String(cString: strerror(code)))")
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Where log lines go: a file opened for appending (created if missing), or standard error.
///
/// One `write(2)` per line under a lock, so lines from concurrent tasks never interleave, and
/// `O_APPEND` so that several writers (a restarted pachd, `tail -f`) see whole lines in order. Lines are
/// not fsynced: a log is for people, and an fsync per line would slow every request.
final class LogSink: Sendable {
    private let descriptor: Int32
    private let ownsDescriptor: Bool
    private let lock = Mutex(())

    /// Standard error.
    static let standardError = LogSink(descriptor: 2, owns: false)

    private init(descriptor: Int32, owns: Bool) {
        self.descriptor = descriptor
        ownsDescriptor = owns
    }

    /// Appends to `path`, creating it and its directory (usually the not yet created data dir) if
    /// needed; throws a `ConfigError` that names the file when it cannot be opened.
    convenience init(appendingTo path: String) throws(ConfigError) {
        try DurableFiles.makeDirectory(DurableFiles.parent(of: path))
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw ConfigError("--log-file: cannot open '\(path)': \(String(cString: strerror(errno)))")
        }
        self.init(descriptor: fd, owns: true)
    }

    deinit {
        if ownsDescriptor { close(descriptor) }
    }

    /// Writes `line` and a newline.
    func write(_ line: String) {
        var bytes = Array(line.utf8)
        bytes.append(0x0A)
        lock.withLock { _ in
            var offset = 0
            while offset < bytes.count {
                let written = bytes[offset...].withUnsafeBytes { buffer in
                    #if canImport(Glibc)
                    Glibc.write(descriptor, buffer.baseAddress, buffer.count)
                    #else
                    Darwin.write(descriptor, buffer.baseAddress, buffer.count)
                    #endif
                }
                if written < 0, errno == EINTR { continue }
                guard written > 0 else { return }
                offset += written
            }
        }
    }
}

import Glibc

/// An exclusive flock on `<directory>/LOCK`, held while a `ChunkStore` is open, so two processes (or two
/// stores in one process: each open takes its own open file description) never write one directory.
/// The kernel drops it when the process dies, so a crash never leaves a stale lock behind.
final class StoreLock {
    private let file: SystemFile

    private init(file: SystemFile) {
        self.file = file
    }

    /// Takes the lock without waiting, or throws `.storeLocked` with the holder's pid when known.
    static func acquire(directory: String) throws(ReplicationError) -> StoreLock {
        let path = "\(directory)/LOCK"
        let file = try SystemFile.open(path, flags: O_RDWR | O_CREAT)
        guard flock(file.fileDescriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            guard code == EWOULDBLOCK else { throw .io("lock \(path): \(String(cString: strerror(code)))") }
            let holder = (try? file.read(count: 32, at: 0)).map { String(decoding: $0, as: UTF8.self) } ?? ""
            throw .storeLocked(directory: directory, holder: holder.isEmpty ? nil : holder)
        }
        // The pid is only a hint for the message above; the lock itself is the flock.
        try file.truncate(to: 0)
        try file.write(Array(String(getpid()).utf8), at: 0)
        return StoreLock(file: file)
    }

    /// Releases the lock. Unlocked before the close: a child being spawned by another thread holds a copy
    /// of the descriptor until its exec, and a close alone would leave the lock held by that copy.
    func release() {
        _ = flock(file.fileDescriptor, LOCK_UN)
        file.close()
    }
}

import Glibc

/// An exclusive flock on `<directory>/LOCK`, held while a `DiskStorage` is open, so two processes (or two
/// opens in one process) never write the same log. The kernel drops it when the process dies, so a
/// crash never leaves a stale lock behind.
final class DirectoryLock {
    private let file: SystemFile

    private init(file: SystemFile) {
        self.file = file
    }

    /// Takes the lock without waiting, or throws `.storage` saying who holds it.
    static func acquire(directory: String) throws(RaftError) -> DirectoryLock {
        let path = "\(directory)/LOCK"
        let file = try SystemFile.open(path, flags: O_RDWR | O_CREAT)
        guard flock(file.fileDescriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            guard code == EWOULDBLOCK else {
                throw .storage("lock \(path): \(String(cString: strerror(code)))")
            }
            let holder = (try? file.readAll()).map { String(decoding: $0, as: UTF8.self) } ?? ""
            throw .storage("data directory \(directory) is already in use (\(path) is locked"
                + (holder.isEmpty ? "" : " by pid \(holder)") + "); stop the other node first")
        }
        // The pid is only a hint for the message above; the lock itself is the flock.
        try file.truncate(to: 0)
        try file.write(Array(String(getpid()).utf8), at: 0)
        return DirectoryLock(file: file)
    }

    /// Releases the lock. Unlocked explicitly before the close: a child that another thread is spawning
    /// at this moment holds a copy of the descriptor until its exec closes it, and while any copy is open
    /// a close alone would leave the lock held (a reopen in this process then found it taken).
    func release() {
        _ = flock(file.fileDescriptor, LOCK_UN)
        file.close()
    }
}

import Glibc

/// Directory operations for the chunk store: creating, listing, renaming, removing, syncing, and asking
/// how much space is free.
enum FileSystem {
    /// Makes the names in directory `path` durable: new, renamed and removed entries survive a crash.
    static func syncDirectory(_ path: String) throws(ReplicationError) {
        let directory = try SystemFile.open(path, flags: O_RDONLY | O_DIRECTORY)
        try directory.sync()
    }

    /// Makes every earlier write to the file system holding `path` durable: file contents, new and renamed
    /// names alike (`syncfs`). One call covers a whole batch of files.
    static func syncFileSystem(holding path: String) throws(ReplicationError) {
        let directory = try SystemFile.open(path, flags: O_RDONLY | O_DIRECTORY)
        try directory.syncFileSystem()
    }

    /// Creates `path` and any missing ancestors, syncing the parent of each one it creates so a crash
    /// cannot forget a directory that a synced file was then renamed into.
    static func makeDirectoriesDurably(_ path: String) throws(ReplicationError) {
        for created in try makeDirectories(path) { try syncDirectory(parent(of: created)) }
    }

    /// Creates `path` and any missing ancestors; returns the ones it created, outermost first.
    @discardableResult
    static func makeDirectories(_ path: String) throws(ReplicationError) -> [String] {
        if mkdir(path, 0o755) == 0 { return [path] }
        let code = errno
        var status = stat()
        if code == EEXIST, stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFDIR { return [] }
        let parent = parent(of: path)
        if code == ENOENT, parent != path {
            let created = try makeDirectories(parent)
            return try created + makeDirectories(path)
        }
        throw .io("mkdir \(path): \(String(cString: strerror(code)))")
    }

    /// The directory holding `path`.
    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Names in `path`, without "." and "..", in no particular order; empty when `path` does not exist.
    static func list(_ path: String) throws(ReplicationError) -> [String] {
        guard let directory = opendir(path) else {
            let code = errno
            if code == ENOENT { return [] }
            throw .io("list \(path): \(String(cString: strerror(code)))")
        }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Whether anything has the name `path`.
    static func exists(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0
    }

    /// Atomically gives `source` the name `destination`, replacing what had it.
    static func rename(_ source: String, to destination: String) throws(ReplicationError) {
        _ = try SystemFile.retryingEINTR("rename \(source) to \(destination)") { Glibc.rename(source, destination) }
    }

    /// Removes the file at `path`; returns false when it was already gone.
    @discardableResult
    static func remove(_ path: String) throws(ReplicationError) -> Bool {
        if unlink(path) == 0 { return true }
        let code = errno
        if code == ENOENT { return false }
        throw .io("remove \(path): \(String(cString: strerror(code)))")
    }

    /// Removes the empty directory at `path`; false when it is not empty or gone.
    @discardableResult
    static func removeEmptyDirectory(_ path: String) -> Bool {
        rmdir(path) == 0
    }

    /// Bytes an unprivileged writer can still use on the file system holding `path` (statvfs `f_bavail`).
    static func availableBytes(at path: String) throws(ReplicationError) -> Int {
        var status = statvfs()
        _ = try SystemFile.retryingEINTR("statvfs \(path)") { statvfs(path, &status) }
        let (bytes, overflow) = UInt64(status.f_bavail).multipliedReportingOverflow(by: UInt64(status.f_frsize))
        return overflow || bytes > UInt64(Int.max) ? Int.max : Int(bytes)
    }
}

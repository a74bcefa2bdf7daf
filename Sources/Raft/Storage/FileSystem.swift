import Glibc

/// Directory operations for storage: listing, creating, renaming, removing and syncing.
enum FileSystem {
    /// Makes `path` durable as a directory entry set: new, renamed and removed names in it survive a crash.
    static func syncDirectory(_ path: String, meter: SyncMeter) throws(RaftError) {
        let directory = try SystemFile.open(path, flags: O_RDONLY | O_DIRECTORY)
        try directory.syncAll(meter)
    }

    /// Creates `path` and any missing ancestors; returns the ones it created, outermost first, so the
    /// caller can sync their parents.
    @discardableResult
    static func makeDirectories(_ path: String) throws(RaftError) -> [String] {
        if mkdir(path, 0o755) == 0 { return [path] }
        let code = errno
        var status = stat()
        if code == EEXIST, stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFDIR { return [] }
        let parent = parent(of: path)
        if code == ENOENT, parent != path {
            let created = try makeDirectories(parent)
            return try created + makeDirectories(path)
        }
        throw .storage("mkdir \(path): \(String(cString: strerror(code)))")
    }

    /// The directory holding `path`.
    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Names in `path`, without "." and "..", in no particular order.
    static func list(_ path: String) throws(RaftError) -> [String] {
        guard let directory = opendir(path) else {
            throw .storage("list \(path): \(String(cString: strerror(errno)))")
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

    /// Atomically replaces `destination` with `source`.
    static func rename(_ source: String, to destination: String) throws(RaftError) {
        _ = try SystemFile.retryingEINTR("rename \(source) to \(destination)") { Glibc.rename(source, destination) }
    }

    /// Removes the file at `path`; a file already gone is not an error.
    static func remove(_ path: String) throws(RaftError) {
        if unlink(path) == 0 { return }
        let code = errno
        if code == ENOENT { return }
        throw .storage("remove \(path): \(String(cString: strerror(code)))")
    }

    /// `value` as 16 lower-case hex digits, so file names sort in numeric order.
    static func hex16(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// The value of exactly 16 lower-case hex digits (what `hex16` writes), or nil.
    static func parseHex16<S: StringProtocol>(_ text: S) -> UInt64? {
        let isDigit = { (byte: UInt8) in (0x30...0x39).contains(byte) || (0x61...0x66).contains(byte) }
        guard text.utf8.count == 16, text.utf8.allSatisfy(isDigit) else { return nil }
        return UInt64(text, radix: 16)
    }
}

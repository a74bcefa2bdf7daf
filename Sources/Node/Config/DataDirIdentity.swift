#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Raft

/// Which cluster and node a data dir belongs to: the files `cluster-id` and `node-id` in it.
///
/// Written on first start (once Raft has started) and checked on every later one, so that a node started with another node's
/// data dir, or a data dir left over from another cluster, refuses to start instead of voting or
/// replying with a log that is not its own (which could elect two leaders or lose acknowledged writes).
struct DataDirIdentity: Sendable, Equatable {
    var clusterID: String
    var nodeID: NodeID

    static let clusterFile = "cluster-id"
    static let nodeFile = "node-id"

    /// What `verify` found.
    enum Outcome: Sendable, Equatable {
        /// No identity files: a new data dir (or one whose first start did not get as far as `record`).
        case new
        /// The files exist and name this cluster and node.
        case matched
    }

    /// Checks the identity files in `directory` against `self`. Throws a `ConfigError` that says whose
    /// data dir it is, or that one of the two files is missing.
    func verify(in directory: String) throws(ConfigError) -> Outcome {
        let storedCluster = try DurableFiles.readText("\(directory)/\(Self.clusterFile)")
        let storedNode = try DurableFiles.readText("\(directory)/\(Self.nodeFile)")
        switch (storedCluster, storedNode) {
        case (nil, nil):
            return .new
        case (let cluster?, let node?):
            let stored = DataDirIdentity(clusterID: cluster.trimmingSpaces, nodeID: NodeID(node.trimmingSpaces) ?? noNode)
            guard stored == self else {
                throw ConfigError("data dir \(directory) belongs to cluster \(stored.clusterID), node \(stored.nodeID); "
                    + "this node was started as cluster \(clusterID) node \(nodeID)")
            }
            return .matched
        default:
            let missing = storedCluster == nil ? Self.clusterFile : Self.nodeFile
            throw ConfigError("data dir \(directory) is damaged: '\(missing)' is missing while the other identity "
                + "file exists; restore it or start from an empty data dir")
        }
    }

    /// Writes the identity files (creating `directory` if needed), each durably: temp file, fsync,
    /// rename, directory fsync. pachd calls it once Raft has started, so that identity files always mean
    /// "this node's Raft state was created here": a founder whose files exist but whose log is empty
    /// has lost its state, and must not bootstrap again (see `NodeAssembly`).
    func record(in directory: String) throws(ConfigError) {
        try DurableFiles.makeDirectory(directory)
        // The node file last: a crash between the two leaves one file, which the next start reports
        // rather than silently adopting.
        try DurableFiles.writeText("\(clusterID)\n", to: "\(directory)/\(Self.clusterFile)")
        try DurableFiles.writeText("\(nodeID)\n", to: "\(directory)/\(Self.nodeFile)")
    }
}

/// Small, durable file operations on POSIX, with errors as `ConfigError`s for startup.
enum DurableFiles {
    /// `mkdir -p`, syncing the parent of each directory it creates.
    static func makeDirectory(_ path: String) throws(ConfigError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/\(component)"
            if mkdir(prefix, 0o755) == 0 {
                try syncDirectory(parent(of: prefix))
            } else if errno != EEXIST {
                throw ConfigError("cannot create directory \(prefix): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// The file's contents, or nil when it does not exist.
    static func readText(_ path: String) throws(ConfigError) -> String? {
        let fd = open(path, O_RDONLY)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw ConfigError("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw ConfigError("cannot read \(path): \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            bytes += buffer[..<count]
            guard bytes.count <= 1 << 20 else { throw ConfigError("\(path) is too large") }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Replaces `path` with `text` atomically and durably.
    static func writeText(_ text: String, to path: String) throws(ConfigError) {
        let temporary = "\(path).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw failure("create", temporary) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == bytes.count, synced else { throw failure("write", temporary) }
        guard rename(temporary, path) == 0 else { throw failure("rename", temporary) }
        try syncDirectory(parent(of: path))
    }

    static func syncDirectory(_ path: String) throws(ConfigError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { throw failure("open", path) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw failure("fsync", path) }
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    private static func failure(_ operation: String, _ path: String) -> ConfigError {
        ConfigError("cannot \(operation) \(path): \(String(cString: strerror(errno)))")
    }
}

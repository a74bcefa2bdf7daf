/// What a mount of the whole cluster (`pachctl mount`) needs from it: implemented over the public API
/// by pachctl, and by an in-memory double in tests. Every call may fail with a `ClusterSourceError`
/// (anything else is read as an I/O error).
public protocol ClusterSource: Sendable {
    func repos() async throws -> [String]
    func branches(of repo: String) async throws -> [String]
    /// The commit `ref` (a branch or a commit id) names now.
    func resolve(repo: String, ref: String) async throws -> ClusterCommit
    /// One path of a commit; `ClusterSourceError.notFound` when it holds nothing there.
    func inspect(repo: String, commit: String, path: String) async throws -> ClusterEntry
    /// A directory's entries in name order, handed to `page` as they arrive.
    func list(repo: String, commit: String, path: String, page: @escaping @Sendable ([ClusterEntry]) -> Void) async throws
    /// `length` bytes of a file from `offset` (fewer only at its end).
    func read(repo: String, commit: String, path: String, offset: UInt64, length: Int) async throws -> [UInt8]
    /// Puts the local file's bytes at `path` on `ref` (a branch: its open head or a new commit; an open commit's id).
    func put(repo: String, ref: String, path: String, contentsOf localFile: String) async throws
    func delete(repo: String, ref: String, path: String) async throws
}

/// A commit as a mount shows it.
public struct ClusterCommit: Sendable, Equatable {
    public var id: String
    public var finished: Bool
    /// When it finished (or started, while open), nanoseconds since the epoch: the time its files show.
    public var timeNanos: Int64

    public init(id: String, finished: Bool, timeNanos: Int64) {
        self.id = id
        self.finished = finished
        self.timeNanos = timeNanos
    }
}

/// A file or directory of a commit.
public struct ClusterEntry: Sendable, Equatable {
    public var path: String
    public var isDirectory: Bool
    public var sizeBytes: UInt64
    /// The content id (equal ids, equal bytes).
    public var id: String

    public init(path: String, isDirectory: Bool, sizeBytes: UInt64, id: String) {
        self.path = path
        self.isDirectory = isDirectory
        self.sizeBytes = sizeBytes
        self.id = id
    }

    /// The last component of the path.
    public var name: String { String(path.split(separator: "/").last ?? "") }
}

/// Why a source call failed, as far as a mount cares.
public enum ClusterSourceError: Error, Sendable, CustomStringConvertible {
    /// No such repo, branch, commit or path.
    case notFound
    /// No node answered (the mount shows EIO and tries again at the next call).
    case unavailable(String)
    case permissionDenied(String)
    /// The cluster refused the request as invalid (a bad name).
    case invalid(String)
    case noSpace(String)
    case failed(String)

    public var description: String {
        switch self {
        case .notFound: return "not found"
        case .unavailable(let why), .permissionDenied(let why), .invalid(let why), .noSpace(let why), .failed(let why):
            return why
        }
    }

    /// The errno a FUSE caller sees.
    public var fuseError: FuseError {
        switch self {
        case .notFound, .invalid: return .notFound
        case .unavailable, .failed: return .io
        case .permissionDenied: return .denied
        case .noSpace: return .noSpace
        }
    }

    public static func fuseError(_ error: any Error) -> FuseError {
        if let fuse = error as? FuseError { return fuse }
        return (error as? ClusterSourceError)?.fuseError ?? .io
    }
}

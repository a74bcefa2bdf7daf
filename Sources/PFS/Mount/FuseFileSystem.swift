#if canImport(Glibc)
import Glibc
#endif

/// A failed file system call, as the errno the kernel hands to the caller.
public struct FuseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: Int32

    public init(_ code: Int32) { self.code = code }

    public static let notFound = FuseError(ENOENT)
    public static let readOnly = FuseError(EROFS)
    public static let io = FuseError(EIO)
    public static let denied = FuseError(EACCES)
    public static let notPermitted = FuseError(EPERM)
    public static let isDirectory = FuseError(EISDIR)
    public static let notDirectory = FuseError(ENOTDIR)
    public static let exists = FuseError(EEXIST)
    public static let notEmpty = FuseError(ENOTEMPTY)
    public static let crossDevice = FuseError(EXDEV)
    public static let invalid = FuseError(EINVAL)
    public static let noSpace = FuseError(ENOSPC)
    public static let badHandle = FuseError(EBADF)

    public var description: String { String(cString: strerror(code)) }
}

/// What `stat` shows of an entry.
public struct FuseAttributes: Sendable, Equatable {
    public enum Kind: Sendable { case file, directory }

    public var kind: Kind
    public var sizeBytes: UInt64
    /// Modification (and change) time, nanoseconds since the epoch.
    public var modifiedNanos: Int64
    /// Whether the owner may write (shown in the mode bits; the calls decide for themselves).
    public var writable: Bool

    public init(kind: Kind, sizeBytes: UInt64, modifiedNanos: Int64, writable: Bool = false) {
        self.kind = kind
        self.sizeBytes = sizeBytes
        self.modifiedNanos = modifiedNanos
        self.writable = writable
    }

    public static func directory(modifiedNanos: Int64 = 0, writable: Bool = false) -> FuseAttributes {
        FuseAttributes(kind: .directory, sizeBytes: 0, modifiedNanos: modifiedNanos, writable: writable)
    }
}

/// One name of a directory listing, with its attributes when the listing already knows them.
public struct FuseDirectoryEntry: Sendable {
    public var name: String
    public var attributes: FuseAttributes?

    public init(name: String, attributes: FuseAttributes?) {
        self.name = name
        self.attributes = attributes
    }
}

/// What an open file tells the kernel about its page cache.
public struct FuseOpened: Sendable {
    public var handle: UInt64
    /// The contents cannot change while the kernel caches them (an immutable commit): keep its pages
    /// from one open to the next.
    public var keepCache: Bool

    public init(handle: UInt64, keepCache: Bool) {
        self.handle = handle
        self.keepCache = keepCache
    }
}

/// A file system that `FuseMount` serves. Paths are absolute within the mount (`/`, `/a/b`).
///
/// Every method is called on one of libfuse's own threads, never on Swift's cooperative pool, and may
/// block it (waiting for the network, say); libfuse runs calls concurrently, so implementations are
/// thread-safe. The write calls default to EROFS: a read-only file system implements only the rest.
public protocol FuseFileSystem: AnyObject, Sendable {
    func attributes(_ path: String) throws(FuseError) -> FuseAttributes
    /// Opens a directory for listing; the handle is passed to `list` and `closeDirectory`.
    func openDirectory(_ path: String) throws(FuseError) -> UInt64
    /// The entries of an open directory from position `index` on, a page at a time: `emit` answers
    /// false when the kernel's buffer is full (the same entry comes again at the next call).
    func list(_ handle: UInt64, from index: Int, _ emit: (FuseDirectoryEntry) -> Bool) throws(FuseError)
    func closeDirectory(_ handle: UInt64)
    func open(_ path: String, flags: Int32) throws(FuseError) -> FuseOpened
    /// Fills `buffer` from `offset`; the byte count (short only at the end of the file).
    func read(_ handle: UInt64, into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(FuseError) -> Int
    /// Called at every close of a descriptor of the file (its error is close's).
    func flush(_ handle: UInt64) throws(FuseError)
    /// The last close of the file.
    func release(_ handle: UInt64)

    func create(_ path: String, mode: UInt32) throws(FuseError) -> FuseOpened
    func write(_ handle: UInt64, _ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(FuseError) -> Int
    /// Truncates an open file (`handle`) or a path.
    func truncate(_ path: String, handle: UInt64?, to size: UInt64) throws(FuseError)
    func remove(_ path: String) throws(FuseError)
    func makeDirectory(_ path: String) throws(FuseError)
    func removeDirectory(_ path: String) throws(FuseError)
    func rename(_ from: String, to: String) throws(FuseError)
    /// chmod, chown and utimens: nothing of them is kept; the default refuses (EROFS).
    func acceptMetadataChange(_ path: String) throws(FuseError)
}

extension FuseFileSystem {
    public func flush(_ handle: UInt64) throws(FuseError) {}
    public func create(_ path: String, mode: UInt32) throws(FuseError) -> FuseOpened { throw .readOnly }
    public func write(_ handle: UInt64, _ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(FuseError) -> Int {
        throw .readOnly
    }
    public func truncate(_ path: String, handle: UInt64?, to size: UInt64) throws(FuseError) { throw .readOnly }
    public func remove(_ path: String) throws(FuseError) { throw .readOnly }
    public func makeDirectory(_ path: String) throws(FuseError) { throw .readOnly }
    public func removeDirectory(_ path: String) throws(FuseError) { throw .readOnly }
    public func rename(_ from: String, to: String) throws(FuseError) { throw .readOnly }
    public func acceptMetadataChange(_ path: String) throws(FuseError) { throw .readOnly }
}

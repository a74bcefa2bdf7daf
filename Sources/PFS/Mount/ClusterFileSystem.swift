import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The whole cluster as a file system (`pachctl mount DIR`): `/<repo>/<branch>/…` for every branch
/// head, `/<repo>/@<commit-id>/…` for any commit (reachable by name, not listed), or `/<repo>/…` for a
/// repo pinned to one ref.
///
/// What can change is re-read after `staleness`: the repo and branch lists, where a branch points, the
/// files of an open commit. A finished commit never changes, so its entries are cached for good
/// (bounded) and its file bytes by content id in the `BlockCache`. Names that are not valid repo,
/// branch or commit names are ENOENT without a call.
public final class ClusterFileSystem: FuseFileSystem {
    public struct Options: Sendable {
        /// Writes under a branch (or an open commit) are put into it; without, every write is EROFS.
        public var writable = false
        /// How long a branch head, a listing or an open commit's entry is trusted.
        public var stalenessNanos: Int64 = 1_000_000_000
        /// Repos shown at one ref (a branch or commit id) with no branch level: repo → ref.
        public var pins: [String: String] = [:]
        /// Where files being written are kept until their close puts them.
        public var scratch = NSTemporaryDirectory()

        public init() {}
    }

    let source: any ClusterSource
    let options: Options
    let blocks: BlockCache
    let monotonicNanos: @Sendable () -> Int64

    /// What a path names.
    enum Location {
        case root
        /// A repo's folder of branches (not pinned).
        case repo(String)
        case file(Target)
    }

    /// A path inside a commit.
    struct Target {
        var repo: String
        /// As written: a branch name or a commit id.
        var ref: String
        var refIsCommitID: Bool
        /// The path in the commit ("/" for its root).
        var path: String
    }

    struct Cached<Value> {
        var value: Value
        var at: Int64
        /// Never goes stale (from a finished commit).
        var immutable: Bool
    }

    struct State {
        var repos: Cached<[String]>?
        var branches: [String: Cached<[String]>] = [:]
        var refs: [String: Cached<ClusterCommit>] = [:]
        /// "repo@commit:path" → the entry, or nil for nothing there.
        var entries: [String: Cached<ClusterEntry?>] = [:]
        var handles: [UInt64: Handle] = [:]
        var nextHandle: UInt64 = 1
        /// Mount paths of files being written, and the handle that writes each.
        var writing: [String: UInt64] = [:]
        /// Folders made by mkdir that hold no file yet.
        var madeDirectories: Set<String> = []
    }

    enum Handle {
        case directory(DirectoryListing)
        case read(BlockCache.File)
        /// A file being written through this mount, opened to read.
        case readPending(PendingFile)
        case write(PendingFile)
    }

    let state = Mutex(State())
    static let entryCacheLimit = 200_000

    public init(source: any ClusterSource, options: Options, blocks: BlockCache = BlockCache(),
                monotonicNanos: @escaping @Sendable () -> Int64 = ClusterFileSystem.monotonicNow) {
        self.source = source
        self.options = options
        self.blocks = blocks
        self.monotonicNanos = monotonicNanos
    }

    public static func monotonicNow() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    // MARK: Names

    func locate(_ path: String) throws(FuseError) -> Location {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard let repo = parts.first else { return .root }
        guard (try? RepoName(repo)) != nil else { throw .notFound }
        if let pin = options.pins[repo] {
            return .file(Target(repo: repo, ref: pin, refIsCommitID: (try? CommitID(pin)) != nil,
                                path: "/" + parts.dropFirst().joined(separator: "/")))
        }
        guard parts.count > 1 else { return .repo(repo) }
        let ref = parts[1]
        let isCommit: Bool
        if ref.hasPrefix("@") {
            guard (try? CommitID(String(ref.dropFirst()))) != nil else { throw .notFound }
            isCommit = true
        } else {
            guard (try? BranchName(ref)) != nil else { throw .notFound }
            isCommit = false
        }
        return .file(Target(repo: repo, ref: isCommit ? String(ref.dropFirst()) : ref, refIsCommitID: isCommit,
                            path: "/" + parts.dropFirst(2).joined(separator: "/")))
    }

    /// Runs a source call on this (FUSE) thread, as the errno a caller sees when it fails.
    func call<T>(_ body: @escaping @Sendable () async throws -> T) throws(FuseError) -> T {
        do { return try Blocking.run(body) } catch { throw ClusterSourceError.fuseError(error) }
    }

    func fresh<V>(_ cached: Cached<V>?, now: Int64) -> V? {
        guard let cached else { return nil }
        return cached.immutable || now - cached.at < options.stalenessNanos ? cached.value : nil
    }

    func repoNames() throws(FuseError) -> [String] {
        let now = monotonicNanos()
        if let names = state.withLock({ fresh($0.repos, now: now) }) { return names }
        let source = self.source
        let names = try call { try await source.repos() }
        state.withLock { $0.repos = Cached(value: names, at: now, immutable: false) }
        return names
    }

    func branchNames(_ repo: String) throws(FuseError) -> [String] {
        let now = monotonicNanos()
        if let names = state.withLock({ fresh($0.branches[repo], now: now) }) { return names }
        let source = self.source
        let names = try call { try await source.branches(of: repo) }
        state.withLock { $0.branches[repo] = Cached(value: names, at: now, immutable: false) }
        return names
    }

    /// The commit a target's ref names now (a commit id's, once finished, for good).
    func commit(_ target: Target) throws(FuseError) -> ClusterCommit {
        let key = "\(target.repo)@\(target.ref)"
        let now = monotonicNanos()
        if let commit = state.withLock({ fresh($0.refs[key], now: now) }) { return commit }
        let source = self.source
        let commit = try call { try await source.resolve(repo: target.repo, ref: target.ref) }
        state.withLock { $0.refs[key] = Cached(value: commit, at: now, immutable: target.refIsCommitID && commit.finished) }
        return commit
    }

    /// The entry at a target's path in `commit`; nil when there is none.
    func entry(_ target: Target, in commit: ClusterCommit) throws(FuseError) -> ClusterEntry? {
        let key = "\(target.repo)@\(commit.id):\(target.path)"
        let now = monotonicNanos()
        if let cached = state.withLock({ $0.entries[key] }), cached.immutable || now - cached.at < options.stalenessNanos {
            return cached.value
        }
        let source = self.source
        let found: ClusterEntry?
        do {
            found = try Blocking.run { try await source.inspect(repo: target.repo, commit: commit.id, path: target.path) }
        } catch ClusterSourceError.notFound {
            found = nil
        } catch {
            throw ClusterSourceError.fuseError(error)
        }
        remember([found].compactMap { $0 }, missing: found == nil ? key : nil, repo: target.repo, commit: commit, now: now)
        return found
    }

    /// Caches entries read from `commit` (and a path found empty).
    func remember(_ entries: [ClusterEntry], missing: String? = nil, repo: String, commit: ClusterCommit, now: Int64) {
        state.withLock { state in
            if state.entries.count + entries.count > Self.entryCacheLimit { state.entries.removeAll(keepingCapacity: true) }
            for entry in entries {
                state.entries["\(repo)@\(commit.id):\(entry.path)"] = Cached(value: entry, at: now, immutable: commit.finished)
            }
            if let missing { state.entries[missing] = Cached(value: nil, at: now, immutable: commit.finished) }
        }
    }

    func attributes(of entry: ClusterEntry, commit: ClusterCommit, writable: Bool) -> FuseAttributes {
        FuseAttributes(kind: entry.isDirectory ? .directory : .file, sizeBytes: entry.sizeBytes,
                       modifiedNanos: commit.timeNanos, writable: writable)
    }

    /// Whether writes may go to this target: a writable mount, and a branch or an open commit.
    func writable(_ target: Target, _ commit: ClusterCommit?) -> Bool {
        options.writable && (!target.refIsCommitID || commit?.finished == false)
    }

    // MARK: Reads

    public func attributes(_ path: String) throws(FuseError) -> FuseAttributes {
        if let pending = state.withLock({ state in state.writing[path].flatMap { state.handles[$0] } }),
           case .write(let file) = pending {
            return FuseAttributes(kind: .file, sizeBytes: file.size, modifiedNanos: Int64(Date().timeIntervalSince1970 * 1e9),
                                  writable: true)
        }
        if state.withLock({ $0.madeDirectories.contains(path) }) { return .directory(writable: true) }
        switch try locate(path) {
        case .root:
            return .directory()
        case .repo(let repo):
            guard try repoNames().contains(repo) else { throw .notFound }
            return .directory()
        case .file(let target):
            let commit = try self.commit(target)
            let writable = writable(target, commit)
            if target.path == "/" { return .directory(modifiedNanos: commit.timeNanos, writable: writable) }
            guard let entry = try entry(target, in: commit) else { throw .notFound }
            return attributes(of: entry, commit: commit, writable: writable)
        }
    }

    public func openDirectory(_ path: String) throws(FuseError) -> UInt64 {
        let listing = DirectoryListing()
        let made = state.withLock { state in
            state.madeDirectories.union(state.writing.keys).filter { Self.parent(of: $0) == path }
                .map { String($0.split(separator: "/").last!) }
        }
        if state.withLock({ $0.madeDirectories.contains(path) }) {
            listing.append(made.map { FuseDirectoryEntry(name: $0, attributes: nil) })
            listing.finish(nil)
            return register(.directory(listing))
        }
        switch try locate(path) {
        case .root:
            listing.append(try repoNames().map { FuseDirectoryEntry(name: $0, attributes: .directory()) })
            listing.finish(nil)
        case .repo(let repo):
            guard try repoNames().contains(repo) else { throw .notFound }
            listing.append(try branchNames(repo).map { FuseDirectoryEntry(name: $0, attributes: .directory()) })
            listing.finish(nil)
        case .file(let target):
            guard try attributes(path).kind == .directory else { throw .notDirectory }
            let commit = try self.commit(target)
            stream(target, commit: commit, into: listing, extra: made)
        }
        return register(.directory(listing))
    }

    /// Streams a commit directory's entries into `listing` (caching each), then the folders and files
    /// made here that the commit does not hold yet.
    private func stream(_ target: Target, commit: ClusterCommit, into listing: DirectoryListing, extra: [String]) {
        let source = self.source
        let writable = writable(target, commit)
        let now = monotonicNanos()
        let extras = Set(extra)
        Task {
            let seen = Mutex(Set<String>())
            do {
                try await source.list(repo: target.repo, commit: commit.id, path: target.path) { page in
                    self.remember(page, repo: target.repo, commit: commit, now: now)
                    if !extras.isEmpty { seen.withLock { $0.formUnion(page.map(\.name).filter(extras.contains)) } }
                    listing.append(page.map { FuseDirectoryEntry(name: $0.name, attributes: self.attributes(of: $0, commit: commit, writable: writable)) })
                }
                let missing = extras.subtracting(seen.withLock { $0 }).sorted()
                listing.append(missing.map { FuseDirectoryEntry(name: $0, attributes: nil) })
                listing.finish(nil)
            } catch ClusterSourceError.notFound where target.path == "/" {
                listing.finish(nil)  // a commit with no files yet
            } catch {
                listing.finish(ClusterSourceError.fuseError(error))
            }
        }
    }

    public func list(_ handle: UInt64, from index: Int, _ emit: (FuseDirectoryEntry) -> Bool) throws(FuseError) {
        guard case .directory(let listing)? = state.withLock({ $0.handles[handle] }) else { throw .badHandle }
        try listing.emit(from: index, emit)
    }

    public func closeDirectory(_ handle: UInt64) {
        _ = state.withLock { $0.handles.removeValue(forKey: handle) }
    }

    public func open(_ path: String, flags: Int32) throws(FuseError) -> FuseOpened {
        if flags & O_ACCMODE != O_RDONLY { return try openForWriting(path, truncate: flags & O_TRUNC != 0) }
        if let writer = state.withLock({ $0.writing[path] }) {
            // Being written through this mount: read what has been written so far.
            guard case .write(let file)? = state.withLock({ $0.handles[writer] }) else { throw .notFound }
            return FuseOpened(handle: register(.readPending(file)), keepCache: false)
        }
        guard case .file(let target) = try locate(path) else { throw .isDirectory }
        let commit = try self.commit(target)
        guard let entry = try entry(target, in: commit) else { throw .notFound }
        guard !entry.isDirectory else { throw .isDirectory }
        let source = self.source
        let file = BlockCache.File(key: entry.id, sizeBytes: entry.sizeBytes) { offset, length in
            try await source.read(repo: target.repo, commit: commit.id, path: target.path, offset: offset, length: length)
        }
        // A commit id's path never changes: the kernel may keep its pages from one open to the next.
        return FuseOpened(handle: register(.read(file)), keepCache: target.refIsCommitID && commit.finished)
    }

    public func read(_ handle: UInt64, into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(FuseError) -> Int {
        switch state.withLock({ $0.handles[handle] }) {
        case .read(let file)?: return try blocks.read(file, into: buffer, at: offset)
        case .write(let file)?, .readPending(let file)?: return try file.read(into: buffer, at: offset)
        default: throw .badHandle
        }
    }

    public func release(_ handle: UInt64) {
        guard let removed = state.withLock({ $0.handles.removeValue(forKey: handle) }) else { return }
        if case .write(let file) = removed { finishWriting(file, handle: handle) }
    }

    func register(_ handle: Handle) -> UInt64 {
        state.withLock { state in
            let id = state.nextHandle
            state.nextHandle += 1
            state.handles[id] = handle
            return id
        }
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }
}

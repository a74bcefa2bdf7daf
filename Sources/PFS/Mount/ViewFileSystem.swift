import Foundation
import Replication
import Synchronization

/// Views of parts of commits, for jobs: `/<view>/<input>/<original path>` shows exactly the entries a
/// view was given (a datum's files or folders, at their paths in the input's commit) and nothing else.
/// The worker shows a datum as a view, binds `/<view>/<input>` at `/pfs/<input>` in the sandbox, and
/// the user code reads only the bytes it touches, a block at a time, from the local chunk store (or a
/// replica). Changing a view is seen at once (mount it with zero entry and attribute timeouts).
public final class ViewFileSystem: FuseFileSystem {
    /// One input's share of a view: the entries shown, at their paths.
    public typealias Parts = [String: [TreeEntry]]

    let trees: TreeReader
    let readChunk: @Sendable (ChunkID) async throws -> [UInt8]
    let blocks: BlockCache

    private enum Handle {
        case directory(DirectoryListing)
        case file(BlockCache.File)
    }

    private struct State {
        var views: [String: Parts] = [:]
        var handles: [UInt64: Handle] = [:]
        var next: UInt64 = 1
    }

    private let state = Mutex(State())

    public init(trees: TreeReader, blocks: BlockCache = BlockCache(capacityBytes: 128 << 20),
                readChunk: @escaping @Sendable (ChunkID) async throws -> [UInt8]) {
        self.trees = trees
        self.blocks = blocks
        self.readChunk = readChunk
    }

    /// Shows `parts` as `/<view>/…`, replacing what the view showed before.
    public func show(_ parts: Parts, as view: String) {
        state.withLock { $0.views[view] = parts }
    }

    public func hide(_ view: String) {
        _ = state.withLock { $0.views.removeValue(forKey: view) }
    }

    /// What a path shows: a real entry (from a part, or inside a part's folder), or a folder that only
    /// leads to parts (its children's names).
    private enum Found {
        case entry(TreeEntry)
        case leading([String])
    }

    private func find(_ path: String) throws(FuseError) -> Found {
        let components = path.split(separator: "/").map(String.init)
        guard let view = components.first else {
            return .leading(state.withLock { Array($0.views.keys).sorted() })
        }
        guard let parts = state.withLock({ $0.views[view] }) else { throw .notFound }
        guard components.count > 1 else { return .leading(parts.keys.sorted()) }
        guard let entries = parts[components[1]] else { throw .notFound }
        let inner = Array(components.dropFirst(2))
        var leading: Set<String> = []
        for entry in entries {
            let shown = entry.path.components
            if shown == inner { return .entry(entry) }
            if shown.count > inner.count && Array(shown.prefix(inner.count)) == inner {
                leading.insert(shown[inner.count])
            } else if entry.isDirectory && inner.count > shown.count && Array(inner.prefix(shown.count)) == shown {
                let below = Array(inner.dropFirst(shown.count))
                let trees = self.trees
                let found: TreeEntry?
                do {
                    found = try Blocking.run {
                        try await FileTree(root: entry.id, reader: trees).lookup(try PFSPath(components: below))
                    }
                } catch {
                    throw .io
                }
                if var found {
                    found.path = (try? PFSPath(components: inner)) ?? found.path
                    return .entry(found)
                }
            }
        }
        guard !leading.isEmpty || inner.isEmpty else { throw .notFound }
        return .leading(leading.sorted())
    }

    public func attributes(_ path: String) throws(FuseError) -> FuseAttributes {
        switch try find(path) {
        case .leading: return .directory()
        case .entry(let entry):
            return FuseAttributes(kind: entry.isDirectory ? .directory : .file, sizeBytes: entry.sizeBytes, modifiedNanos: 0)
        }
    }

    public func openDirectory(_ path: String) throws(FuseError) -> UInt64 {
        let listing = DirectoryListing()
        switch try find(path) {
        case .leading(let names):
            listing.append(names.map { FuseDirectoryEntry(name: $0, attributes: nil) })
            listing.finish(nil)
        case .entry(let entry):
            guard entry.isDirectory else { throw .notDirectory }
            let trees = self.trees
            Task {
                let tree = FileTree(root: entry.id, reader: trees)
                var after: String?
                do {
                    while let page = try await tree.list(.root, after: after, limit: 1_000) {
                        listing.append(page.entries.map { child in
                            FuseDirectoryEntry(name: child.path.name ?? "", attributes: FuseAttributes(
                                kind: child.isDirectory ? .directory : .file, sizeBytes: child.sizeBytes, modifiedNanos: 0))
                        })
                        guard let next = page.next else { break }
                        after = next
                    }
                    listing.finish(nil)
                } catch {
                    listing.finish(.io)
                }
            }
        }
        return register(.directory(listing))
    }

    public func list(_ handle: UInt64, from index: Int, _ emit: (FuseDirectoryEntry) -> Bool) throws(FuseError) {
        guard case .directory(let listing)? = state.withLock({ $0.handles[handle] }) else { throw .badHandle }
        try listing.emit(from: index, emit)
    }

    public func closeDirectory(_ handle: UInt64) {
        _ = state.withLock { $0.handles.removeValue(forKey: handle) }
    }

    public func open(_ path: String, flags: Int32) throws(FuseError) -> FuseOpened {
        guard flags & O_ACCMODE == O_RDONLY else { throw .readOnly }
        guard case .entry(let entry) = try find(path) else { throw .isDirectory }
        guard !entry.isDirectory else { throw .isDirectory }
        let trees = self.trees
        let readChunk = self.readChunk
        let object: FileObject
        do { object = try Blocking.run { try await trees.fileObject(entry.id) } } catch { throw .io }
        let file = BlockCache.File(key: entry.id.hex, sizeBytes: entry.sizeBytes) { offset, length in
            try await Self.read(object, offset: offset, length: length, readChunk: readChunk)
        }
        return FuseOpened(handle: register(.file(file)), keepCache: false)
    }

    public func read(_ handle: UInt64, into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(FuseError) -> Int {
        guard case .file(let file)? = state.withLock({ $0.handles[handle] }) else { throw .badHandle }
        return try blocks.read(file, into: buffer, at: offset)
    }

    public func release(_ handle: UInt64) {
        _ = state.withLock { $0.handles.removeValue(forKey: handle) }
    }

    /// `length` bytes of a file object from `offset`: the chunks holding them, read in parallel.
    static func read(_ object: FileObject, offset: UInt64, length: Int,
                     readChunk: @escaping @Sendable (ChunkID) async throws -> [UInt8]) async throws -> [UInt8] {
        let end = offset + UInt64(length)
        var wanted: [(ChunkID, Range<Int>)] = []
        var start: UInt64 = 0
        for piece in object.pieces {
            let stop = start + UInt64(piece.sizeBytes)
            defer { start = stop }
            if stop <= offset { continue }
            if start >= end { break }
            wanted.append((piece.chunk, Int(max(start, offset) - start)..<Int(min(stop, end) - start)))
        }
        let parts = try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
            for (index, (chunk, slice)) in wanted.enumerated() {
                group.addTask {
                    let bytes = try await readChunk(chunk)
                    guard slice.upperBound <= bytes.count else { throw FuseError.io }
                    return (index, Array(bytes[slice]))
                }
            }
            var parts = [[UInt8]](repeating: [], count: wanted.count)
            for try await (index, bytes) in group { parts[index] = bytes }
            return parts
        }
        return parts.flatMap { $0 }
    }

    private func register(_ handle: Handle) -> UInt64 {
        state.withLock { state in
            let id = state.next
            state.next += 1
            state.handles[id] = handle
            return id
        }
    }
}

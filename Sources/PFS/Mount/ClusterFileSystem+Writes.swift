import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Writes through a writable mount: a file written under a branch is put into it when it is closed (one
/// commit per close, or into the branch's open head commit), a deleted file is deleted there. Folders
/// exist in PFS only as the paths of their files, so mkdir makes a local folder until a file lands in it.
extension ClusterFileSystem {
    /// The target of a write at `path`, or EROFS / EPERM when nothing may be written there.
    func writeTarget(_ path: String) throws(FuseError) -> (Target, ClusterCommit) {
        guard options.writable else { throw .readOnly }
        guard case .file(let target) = try locate(path) else { throw .notPermitted }
        let commit = try self.commit(target)
        guard writable(target, commit) else { throw .readOnly }
        guard target.path != "/" else { throw .notPermitted }
        return (target, commit)
    }

    public func create(_ path: String, mode: UInt32) throws(FuseError) -> FuseOpened {
        let (target, _) = try writeTarget(path)
        let file = try PendingFile(target: target, mountPath: path, folder: options.scratch, changed: true)
        return FuseOpened(handle: startWriting(file), keepCache: false)
    }

    func openForWriting(_ path: String, truncate: Bool) throws(FuseError) -> FuseOpened {
        let (target, commit) = try writeTarget(path)
        let existing = try entry(target, in: commit)
        if existing?.isDirectory == true { throw .isDirectory }
        let file = try PendingFile(target: target, mountPath: path, folder: options.scratch, changed: truncate)
        if let existing, !truncate, existing.sizeBytes > 0 {
            // Writing into the middle of a file: start from its current bytes.
            do { try copy(existing, of: target, in: commit, into: file) } catch {
                file.close()
                throw error
            }
        }
        return FuseOpened(handle: startWriting(file), keepCache: false)
    }

    private func copy(_ entry: ClusterEntry, of target: Target, in commit: ClusterCommit, into file: PendingFile) throws(FuseError) {
        let source = self.source
        var offset: UInt64 = 0
        while offset < entry.sizeBytes {
            let length = Int(min(4 << 20, entry.sizeBytes - offset))
            let at = offset
            let bytes = try call { try await source.read(repo: target.repo, commit: commit.id, path: target.path, offset: at, length: length) }
            guard bytes.count == length else { throw .io }
            let written = bytes.withUnsafeBytes { buffer in
                Result<Int, FuseError> { () throws(FuseError) in try file.write(buffer, at: at) }
            }
            _ = try written.get()
            offset += UInt64(length)
        }
    }

    private func startWriting(_ file: PendingFile) -> UInt64 {
        let handle = register(.write(file))
        state.withLock { $0.writing[file.mountPath] = handle }
        return handle
    }

    public func write(_ handle: UInt64, _ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(FuseError) -> Int {
        guard case .write(let file)? = state.withLock({ $0.handles[handle] }) else { throw .badHandle }
        return try file.write(bytes, at: offset)
    }

    /// Every close: puts what changed since the last put, so that close reports a failed put. A file
    /// not written yet since it was opened waits for its last close (see `PendingFile.written`).
    public func flush(_ handle: UInt64) throws(FuseError) {
        guard case .write(let file)? = state.withLock({ $0.handles[handle] }), file.written else { return }
        try put(file)
    }

    private func put(_ file: PendingFile) throws(FuseError) {
        guard file.takeChanged() else { return }
        let source = self.source
        let target = file.target
        do {
            try call { try await source.put(repo: target.repo, ref: target.ref, path: target.path, contentsOf: file.scratchPath) }
        } catch {
            file.markChanged()
            throw error
        }
        changed(target.repo, under: file.mountPath)
    }

    func finishWriting(_ file: PendingFile, handle: UInt64) {
        try? put(file)
        file.close()
        state.withLock { state in
            if state.writing[file.mountPath] == handle { state.writing.removeValue(forKey: file.mountPath) }
        }
    }

    public func truncate(_ path: String, handle: UInt64?, to size: UInt64) throws(FuseError) {
        let writer = handle ?? state.withLock { $0.writing[path] }
        if let writer, case .write(let file)? = state.withLock({ $0.handles[writer] }) {
            try file.truncate(to: size)
            return
        }
        let opened = try openForWriting(path, truncate: size == 0)
        defer { release(opened.handle) }
        guard case .write(let file)? = state.withLock({ $0.handles[opened.handle] }) else { throw .badHandle }
        try file.truncate(to: size)
        try flush(opened.handle)
    }

    public func remove(_ path: String) throws(FuseError) {
        let (target, commit) = try writeTarget(path)
        guard let entry = try entry(target, in: commit) else { throw .notFound }
        guard !entry.isDirectory else { throw .isDirectory }
        let source = self.source
        try call { try await source.delete(repo: target.repo, ref: target.ref, path: target.path) }
        changed(target.repo, under: path)
    }

    public func makeDirectory(_ path: String) throws(FuseError) {
        _ = try writeTarget(path)
        if (try? attributes(path)) != nil { throw .exists }
        state.withLock { _ = $0.madeDirectories.insert(path) }
    }

    public func removeDirectory(_ path: String) throws(FuseError) {
        let made = state.withLock { state -> Bool? in
            guard state.madeDirectories.contains(path) else { return nil }
            let prefix = path + "/"
            let busy = state.writing.keys.contains { $0.hasPrefix(prefix) } || state.madeDirectories.contains { $0.hasPrefix(prefix) }
            if !busy { state.madeDirectories.remove(path) }
            return !busy
        }
        if let made {
            guard made else { throw .notEmpty }
            return
        }
        let (target, commit) = try writeTarget(path)
        // A PFS folder is never empty; one whose last file was just deleted is already gone.
        if let entry = try entry(target, in: commit) {
            throw entry.isDirectory ? .notEmpty : .notDirectory
        }
    }

    /// mv within the mount copies and deletes (EXDEV tells it to).
    public func rename(_ from: String, to: String) throws(FuseError) {
        _ = try writeTarget(from)
        throw .crossDevice
    }

    public func acceptMetadataChange(_ path: String) throws(FuseError) {
        if state.withLock({ $0.writing[path] != nil || $0.madeDirectories.contains(path) }) { return }
        _ = try writeTarget(path)
    }

    /// Forgets what a write to `repo` made stale: where its branches point, its open commits' entries,
    /// and the local folders above `mountPath` (the path now holds a file).
    func changed(_ repo: String, under mountPath: String) {
        let prefix = repo + "@"
        state.withLock { state in
            state.refs = state.refs.filter { !$0.key.hasPrefix(prefix) || $0.value.immutable }
            state.entries = state.entries.filter { !$0.key.hasPrefix(prefix) || $0.value.immutable }
            state.branches.removeValue(forKey: repo)
            state.madeDirectories = state.madeDirectories.filter { !mountPath.hasPrefix($0 + "/") }
        }
    }
}

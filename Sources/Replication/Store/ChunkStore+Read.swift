import Logging

extension ChunkStore {
    /// What reading one chunk file found.
    enum LoadResult {
        /// The frame parsed and its content matches the id.
        case intact(StoredChunk)
        /// No file has the chunk's name.
        case missing
        /// The file is there but unusable; the reason says why.
        case damaged(String)
    }

    /// The chunk's frame and bytes, verified against its id.
    ///
    /// - Throws: `.chunkNotFound` when it is not held; `.chunkCorrupt` when the copy here failed
    ///   verification (it has been quarantined and is no longer held, so fetch it from a replica); `.io`.
    public func get(_ id: ChunkID) throws(ReplicationError) -> StoredChunk {
        guard try contains(id) else { throw .chunkNotFound(id) }
        switch try load(id) {
        case .intact(let chunk):
            return chunk
        case .missing:
            try forget(id)
            throw .chunkNotFound(id)
        case .damaged:
            return try quarantineIfStillDamaged(id)
        }
    }

    /// The chunk's decoded bytes, verified; see `get(_:)`.
    public func read(_ id: ChunkID) throws(ReplicationError) -> [UInt8] {
        try get(id).data
    }

    /// Reads and fully verifies the file of `id`. I/O errors other than a missing file are thrown.
    func load(_ id: ChunkID) throws(ReplicationError) -> LoadResult {
        guard let file = try SystemFile.openIfExists(chunkPath(id)) else { return .missing }
        let size = try file.size()
        // A raw frame is the longest a chunk of maxChunkBytes can have; never allocate for more.
        let limit = ChunkFrame.headerSize + options.maxChunkBytes
        guard size <= limit else { return .damaged("file of \(size) bytes is longer than any frame (\(limit))") }
        let bytes = try file.read(count: size, at: 0)
        file.close()
        do throws(ReplicationError) {
            let frame = try ChunkFrame(parsing: bytes, maxRawLength: options.maxChunkBytes)
            guard frame.id == id else { return .damaged("the file holds chunk \(frame.id)") }
            return .intact(StoredChunk(frame: frame, data: try frame.decode()))
        } catch {
            return .damaged(error.description)
        }
    }

    /// Under the chunk's stripe, reads it again (a concurrent `put` may have replaced the copy) and,
    /// if it is still damaged, quarantines it and throws `.chunkCorrupt`.
    func quarantineIfStillDamaged(_ id: ChunkID) throws(ReplicationError) -> StoredChunk {
        try stripe(for: id).mutex.withLock { _ throws(ReplicationError) -> StoredChunk in
            switch try load(id) {
            case .intact(let chunk):
                return chunk
            case .missing:
                try forget(id)
                throw .chunkNotFound(id)
            case .damaged(let reason):
                try moveToQuarantine(chunkPath(id), name: id.hex, reason: reason)
                try withState { _ = $0.index.remove(id) }
                throw .chunkCorrupt(id, reason: reason)
            }
        }
    }

    /// Drops `id` from the index after its file was found gone (removed behind the store's back).
    func forget(_ id: ChunkID) throws(ReplicationError) {
        logger.debug("chunk file vanished; no longer listed as held", metadata: ["replication.chunk": "\(id)"])
        try withState { _ = $0.index.remove(id) }
    }

    /// Renames `path` into `quarantine/` as `name` (or `name.1`, `name.2`… when taken) and syncs both
    /// directories. The caller MUST hold the chunk's stripe, or be opening the store.
    func moveToQuarantine(_ path: String, name: String, reason: String) throws(ReplicationError) {
        let folder = "\(directory)/quarantine"
        var destination = "\(folder)/\(name)"
        var suffix = 0
        while FileSystem.exists(destination) {
            suffix += 1
            destination = "\(folder)/\(name).\(suffix)"
        }
        try FileSystem.rename(path, to: destination)
        try FileSystem.syncDirectory(folder)
        try FileSystem.syncDirectory(FileSystem.parent(of: path))
        logger.debug("quarantined a damaged chunk file", metadata: [
            "replication.path": "\(path)", "replication.quarantine": "\(destination)", "replication.reason": "\(reason)",
        ])
    }
}

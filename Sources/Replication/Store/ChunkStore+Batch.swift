import Glibc

extension ChunkStore {
    /// Stores each of `frames` durably unless it is already held: the same checks and answers as
    /// `put(_:)` frame by frame, one answer per frame in order, but with two syncs of the file system
    /// for the whole batch instead of two fsyncs per frame. Small files make many small chunks, and
    /// their cost is syncs, not bytes.
    ///
    /// Order, so that a crash at any point leaves nothing served that is not whole: every new frame is
    /// written to `tmp/` (unsynced); `syncfs` makes their contents durable; each is renamed into place;
    /// `syncfs` makes the names durable; only then does the index hold them, so no `has` answers yes
    /// (and no writer deduplicates against them) before they would survive a crash. A failure of
    /// either sync fails every frame still pending; a file already renamed stays (it is whole and
    /// verified, and the next open indexes it).
    public func put(batch frames: [ChunkFrame]) -> [Result<PutOutcome, ReplicationError>] {
        var results = [Result<PutOutcome, ReplicationError>?](repeating: nil, count: frames.count)
        var written: [(index: Int, temp: String)] = []
        var firstOf: [ChunkID: Int] = [:]
        var repeats: [(index: Int, first: Int)] = []
        for (index, frame) in frames.enumerated() {
            do throws(ReplicationError) {
                if try touch(frame.id) {
                    results[index] = .success(.deduplicated)
                } else if let first = firstOf[frame.id] {
                    repeats.append((index, first))
                } else {
                    written.append((index, try writeTemporary(frame)))
                    firstOf[frame.id] = index
                }
            } catch {
                results[index] = .failure(error)
            }
        }
        if !written.isEmpty {
            do throws(ReplicationError) {
                try FileSystem.syncFileSystem(holding: directory)
                var placed: [Int] = []
                for item in written {
                    let frame = frames[item.index]
                    let held = try stripe(for: frame.id).mutex.withLock { _ throws(ReplicationError) -> Bool in
                        if try touch(frame.id) { return true }
                        let path = chunkPath(frame.id)
                        try FileSystem.makeDirectoriesDurably(FileSystem.parent(of: path))
                        try FileSystem.rename(item.temp, to: path)
                        return false
                    }
                    if held {
                        _ = try? FileSystem.remove(item.temp)
                        results[item.index] = .success(.deduplicated)
                    } else {
                        placed.append(item.index)
                    }
                }
                try FileSystem.syncFileSystem(holding: directory)
                let now = clock()
                try withState { state throws(ReplicationError) in
                    for index in placed {
                        var entry = ChunkIndex.Entry(frames[index])
                        entry.touchedAtNanos = now
                        let added = state.index.insert(entry)
                        results[index] = .success(added ? .stored : .deduplicated)
                    }
                }
            } catch {
                for item in written where results[item.index] == nil {
                    _ = try? FileSystem.remove(item.temp)
                    results[item.index] = .failure(error)
                }
            }
        }
        for (index, first) in repeats {
            results[index] = results[first]!.map { _ in .deduplicated }
        }
        return results.map { $0! }
    }

    /// Checks `frame` (size, content against id, free space) and writes it under `tmp/`, unsynced;
    /// returns the temporary path. Nothing is left behind on failure.
    private func writeTemporary(_ frame: ChunkFrame) throws(ReplicationError) -> String {
        guard frame.rawLength <= options.maxChunkBytes else {
            throw .chunkTooLarge(length: frame.rawLength, limit: options.maxChunkBytes)
        }
        try frame.verify()
        try checkSpace(for: frame.storedLength)
        let temp = "\(directory)/tmp/\(frame.id.hex).\(tempCounter.add(1, ordering: .relaxed).newValue)"
        do throws(ReplicationError) {
            let file = try SystemFile.open(temp, flags: O_WRONLY | O_CREAT | O_EXCL | O_TRUNC)
            try file.write(frame.bytes, at: 0)
            file.close()
        } catch {
            _ = try? FileSystem.remove(temp)
            throw error
        }
        return temp
    }
}

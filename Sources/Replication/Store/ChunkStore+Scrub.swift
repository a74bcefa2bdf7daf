extension ChunkStore {
    /// What one `scrub` call found.
    public struct ScrubReport: Sendable, Equatable {
        /// Chunks read and verified (intact or not).
        public var checked: Int = 0
        /// Chunks whose copy failed verification: quarantined and no longer held; fetch them again.
        public var corrupt: [ChunkID] = []
        /// Chunks listed as held whose file was gone; no longer held.
        public var vanished: [ChunkID] = []
        /// Whether this call reached the last chunk in id order; the next call starts from the first.
        public var passCompleted = false
    }

    /// Re-reads and verifies up to `limit` chunks, continuing in id order from where the previous call
    /// stopped (the cursor lives in the store, so periodic calls cover every chunk in turn and a chunk
    /// added behind the cursor is checked in the next pass). Damaged copies are quarantined.
    ///
    /// Reads whole chunks: at `limit` chunks of ~1 MiB a call costs ~`limit` MiB of disk reads and
    /// hashing, so a node paces it (a few chunks a second) to keep the disk for serving.
    public func scrub(limit: Int) throws(ReplicationError) -> ScrubReport {
        guard limit > 0 else { return ScrubReport() }
        let entries = try withState { $0.index.page(after: $0.scrubCursor, limit: limit) }
        var report = ScrubReport()
        for entry in entries {
            report.checked += 1
            switch try load(entry.id) {
            case .intact:
                break
            case .missing:
                try forget(entry.id)
                report.vanished.append(entry.id)
            case .damaged:
                do throws(ReplicationError) {
                    _ = try quarantineIfStillDamaged(entry.id)
                } catch .chunkCorrupt(let id, _) {
                    report.corrupt.append(id)
                } catch .chunkNotFound(let id) {
                    report.vanished.append(id)
                }
            }
        }
        report.passCompleted = entries.count < limit
        try withState { $0.scrubCursor = report.passCompleted ? nil : entries.last?.id }
        return report
    }
}

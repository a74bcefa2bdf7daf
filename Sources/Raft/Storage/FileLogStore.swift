import Glibc

/// The Raft log and hard state as a directory of append-only segment files, `<sequence 16 hex>.seg`,
/// each a run of `LogFrame`s. Not SQLite: an append-only file with one write and one fdatasync per
/// batch is the cheapest durable log there is, and its crash behaviour is simple enough to state.
///
/// - Each batch is one frame, one write(), one fdatasync (group commit). Creating or deleting a segment
///   also fsyncs the directory.
/// - A segment is closed once the next frame would take it past `segmentBytes`. The first frame of every
///   segment carries the hard state, so older segments can be deleted without losing it.
/// - `replay()` reads every segment; a torn last frame of the last segment is cut off (see
///   `LogFrame.isTornTail`), any other damage throws `.corruptStorage` naming the file and offset.
/// - `compact(through:)` deletes the oldest segments while everything they hold is at or below the index.
///
/// MUST be used from one thread at a time (`DiskStorage` holds it under its lock). After a failed write
/// or sync every call throws: the file's state is unknown and only a fresh replay may trust it. The one
/// exception is a full disk: a write refused with ENOSPC is cut back off the segment (`ftruncate`
/// to the last synced frame's end) and `append` throws `.outOfSpace`, after which the same batch may be
/// appended again. A failed sync is never retried (after a failed fsync the kernel may have dropped the
/// dirty pages, so a retry could report success for data that is gone).
final class FileLogStore {
    /// What one segment contributes, for compaction.
    struct Segment: Equatable {
        var sequence: UInt64
        /// The highest entry index the segment can still contribute to the log; a later snapshot marker
        /// lowers it, because the marker discards everything written before it.
        var maxIndex: UInt64
    }

    /// What `replay()` found.
    struct Replayed: Equatable {
        var hardState: HardState?
        var entries: [Entry]
        var marker: SnapshotMarker?
    }

    /// The directory holding the segment files.
    let directory: String
    /// A segment is closed once the next frame would take it past this many bytes.
    let segmentBytes: Int
    private let meter: SyncMeter
    /// Oldest first; the last one is open for appending.
    private(set) var segments: [Segment] = []
    private var current: SystemFile?
    private var currentSize = 0
    /// Repeated at the start of each new segment.
    private var hardState = HardState()
    private var failure: String?

    /// A store over `directory`, which MUST exist. Nothing is read until `replay()`.
    init(directory: String, segmentBytes: Int, meter: SyncMeter) {
        precondition(segmentBytes > LogFrame.headerSize, "segmentBytes \(segmentBytes) is too small")
        self.directory = directory
        self.segmentBytes = segmentBytes
        self.meter = meter
    }

    /// The path of segment `sequence`.
    func segmentPath(_ sequence: UInt64) -> String {
        "\(directory)/\(FileSystem.hex16(sequence)).seg"
    }

    /// Closes the open segment; the store is unusable until the next `replay()`.
    func close() {
        current = nil
    }

    // MARK: Replay

    /// Reads every segment, cuts a torn tail off the last one, and opens it for appending (creating the
    /// first segment in an empty directory).
    func replay() throws(RaftError) -> Replayed {
        try checkUsable()
        current = nil
        segments = []
        let sequences = try segmentSequences()
        var log = ReplayLog()
        for (position, sequence) in sequences.enumerated() {
            try replaySegment(sequence, isLast: position == sequences.count - 1, into: &log)
        }
        if sequences.isEmpty { try createSegment(sequence: 1) }
        hardState = log.hardState ?? HardState()
        return Replayed(hardState: log.hardState, entries: log.entries, marker: log.marker)
    }

    /// The sequence numbers present, ascending; a hole means a lost segment.
    private func segmentSequences() throws(RaftError) -> [UInt64] {
        let sequences = try FileSystem.list(directory).compactMap { name -> UInt64? in
            guard name.hasSuffix(".seg") else { return nil }
            return FileSystem.parseHex16(name.dropLast(4))
        }.sorted()
        for (previous, next) in zip(sequences, sequences.dropFirst()) where next != previous + 1 {
            throw .corruptStorage("\(segmentPath(previous + 1)): segment missing between \(previous) and \(next)")
        }
        return sequences
    }

    private func replaySegment(_ sequence: UInt64, isLast: Bool, into log: inout ReplayLog) throws(RaftError) {
        let path = segmentPath(sequence)
        let file = try SystemFile.open(path, flags: isLast ? O_RDWR : O_RDONLY)
        let bytes = try file.readAll()
        segments.append(Segment(sequence: sequence, maxIndex: 0))
        var offset = 0
        frames: while offset < bytes.count {
            switch LogFrame.scan(bytes, at: offset) {
            case .intact(let payload, let end):
                try replayFrame(bytes, payload: payload, at: "\(path) offset \(offset)", into: &log)
                offset = end
            case .damaged(let damage):
                guard isLast, LogFrame.isTornTail(bytes, at: offset, damage: damage) else {
                    throw .corruptStorage("\(path) offset \(offset): \(damage)")
                }
                // A batch that never finished was never acknowledged: dropping it loses nothing promised.
                try file.truncate(to: offset)
                try file.syncAll(meter)
                break frames
            }
        }
        if isLast {
            current = file
            currentSize = offset
        }
    }

    private func replayFrame(
        _ bytes: [UInt8], payload: Range<Int>, at location: String, into log: inout ReplayLog
    ) throws(RaftError) {
        do {
            for record in try LogFrame.decode(bytes, payload: payload) {
                try log.apply(record)
                note(record)
            }
        } catch {
            throw .corruptStorage("\(location): \(error)")
        }
    }

    /// Keeps `segments[...].maxIndex` in step with what the current segment now holds.
    private func note(_ record: LogRecord) {
        let last = segments.count - 1
        switch record {
        case .entry(let entry):
            segments[last].maxIndex = max(segments[last].maxIndex, entry.index)
        case .snapshotMarker(let marker):
            for position in 0..<last { segments[position].maxIndex = 0 }
            segments[last].maxIndex = marker.index
        case .hardState:
            break
        }
    }

    // MARK: Append and compact

    /// Appends one batch as one frame and syncs it. `replay()` MUST have run.
    func append(hardState newHardState: HardState?, entries: [Entry], marker: SnapshotMarker?) throws(RaftError) {
        try checkUsable()
        precondition(current != nil, "FileLogStore.append before replay() in \(directory)")
        var frame = try LogFrame.encode(
            hardState: currentSize == 0 ? newHardState ?? hardState : newHardState, entries: entries, marker: marker)
        if currentSize > 0 && currentSize + frame.count > segmentBytes {
            do throws(RaftError) {
                try createSegment(sequence: segments[segments.count - 1].sequence + 1)
            } catch {
                if case .outOfSpace = error { throw error }  // nothing was created
                failure = error.description
                throw error
            }
            frame = try LogFrame.encode(hardState: newHardState ?? hardState, entries: entries, marker: marker)
        }
        do throws(RaftError) {
            try current!.write(frame, at: currentSize)
        } catch {
            failure = error.description
            // A full disk: drop whatever part of the frame reached the file, so that the file ends at
            // the last synced frame again and a retry starts from a known state.
            if case .outOfSpace = error, (try? current!.truncate(to: currentSize)) != nil { failure = nil }
            throw error
        }
        do throws(RaftError) {
            try current!.syncData(meter)
        } catch {
            failure = error.description
            throw error
        }
        currentSize += frame.count
        if let marker { note(.snapshotMarker(marker)) }
        if let last = entries.last { note(.entry(last)) }
        if let newHardState { hardState = newHardState }
    }

    /// Deletes the oldest segments while everything they hold is at or below `index`, never the one open
    /// for appending. Only a prefix goes: a kept older segment would otherwise bring back entries that a
    /// deleted newer one had replaced. The directory is synced after each deletion for the same reason.
    func compact(through index: UInt64) throws(RaftError) {
        try checkUsable()
        while segments.count > 1, segments[0].maxIndex <= index {
            try FileSystem.remove(segmentPath(segments[0].sequence))
            try FileSystem.syncDirectory(directory, meter: meter)
            segments.removeFirst()
        }
    }

    /// Creates and opens segment `sequence`. Throws `.outOfSpace` only when no file was created.
    private func createSegment(sequence: UInt64) throws(RaftError) {
        let file = try SystemFile.open(segmentPath(sequence), flags: O_RDWR | O_CREAT | O_EXCL)
        do throws(RaftError) {
            try FileSystem.syncDirectory(directory, meter: meter)
        } catch {
            if case .outOfSpace(let why) = error { throw .storage(why) }
            throw error
        }
        segments.append(Segment(sequence: sequence, maxIndex: 0))
        current = file
        currentSize = 0
    }

    private func checkUsable() throws(RaftError) {
        if let failure {
            throw .storage("the log in \(directory) failed earlier (\(failure)); restart the node to recover")
        }
    }
}

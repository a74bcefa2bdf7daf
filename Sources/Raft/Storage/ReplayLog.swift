/// The log being rebuilt from frames, in the order they were written.
///
/// An entry at or below the last index replaces the suffix from there (the Raft log-matching rule the
/// core applies before persisting). A snapshot marker empties the log, which then continues right after
/// it. Replay may start in the middle of history (old segments compacted away); the first entry seen then
/// starts the log, and one below it starts it over, because the segments read are a suffix of all that
/// was written and so are the entries they yield.
struct ReplayLog {
    /// The rebuilt log, contiguous.
    private(set) var entries: [Entry] = []
    /// The last hard state seen.
    private(set) var hardState: HardState?
    /// The last snapshot marker seen.
    private(set) var marker: SnapshotMarker?

    /// The index of the last entry, or of the marker when no entry follows it.
    var lastIndex: UInt64? { entries.last?.index ?? marker?.index }

    /// Adds one record; throws when it cannot follow what came before.
    mutating func apply(_ record: LogRecord) throws(StorageFormatError) {
        switch record {
        case .hardState(let state):
            hardState = state
        case .snapshotMarker(let newMarker):
            marker = newMarker
            entries.removeAll()
        case .entry(let entry):
            try append(entry)
        }
    }

    private mutating func append(_ entry: Entry) throws(StorageFormatError) {
        let floor = marker?.index
        if let floor, entry.index <= floor {
            throw StorageFormatError("entry \(entry.index) is inside the snapshot at \(floor)")
        }
        guard let first = entries.first?.index, let last = entries.last?.index else {
            if let floor, entry.index != floor + 1 {
                throw StorageFormatError("entry \(entry.index) does not follow the snapshot at \(floor)")
            }
            entries.append(entry)
            return
        }
        if entry.index > last + 1 {
            throw StorageFormatError("entry \(entry.index) leaves a gap after entry \(last)")
        }
        if entry.index < first {
            // Only possible without a marker: an older part of history than the compacted segments kept.
            entries.removeAll()
        } else if entry.index <= last {
            entries.removeLast(Int(last - entry.index + 1))
        }
        entries.append(entry)
    }
}

import Glibc

/// Snapshot files in one directory, `snap-<index 16 hex>-<term 16 hex>.snap`, newest two kept.
///
/// A save writes a temp file, syncs it, renames it into place and syncs the directory, so a crash leaves
/// either the old set of snapshots or the new one, plus at most a temp file that the next `latest()`
/// removes. The previous snapshot is kept beside the newest for an operator to fall back on by hand;
/// `latest()` never falls back on its own, because an older snapshot may not match the log.
final class SnapshotStore {
    /// How many snapshot files survive a save.
    static let keptCount = 2

    /// The directory holding the snapshot files.
    let directory: String
    private let meter: SyncMeter

    /// A store over `directory`, which MUST exist.
    init(directory: String, meter: SyncMeter) {
        self.directory = directory
        self.meter = meter
    }

    /// The file name of the snapshot at `index` and `term`.
    static func fileName(index: UInt64, term: UInt64) -> String {
        "snap-\(FileSystem.hex16(index))-\(FileSystem.hex16(term)).snap"
    }

    /// Makes `snapshot` durable, then deletes all but the newest `keptCount` snapshot files.
    func save(_ snapshot: Snapshot) throws(RaftError) {
        let name = Self.fileName(index: snapshot.metadata.index, term: snapshot.metadata.term)
        let temporary = "\(directory)/\(name).tmp"
        let file = try SystemFile.open(temporary, flags: O_WRONLY | O_CREAT | O_TRUNC)
        do throws(RaftError) {
            try file.write(SnapshotFile.encode(snapshot), at: 0)
            try file.syncAll(meter)
        } catch {
            // A full disk, most likely: leave no temp file eating the space; the save may be retried.
            file.close()
            try? FileSystem.remove(temporary)
            throw error
        }
        file.close()
        try FileSystem.rename(temporary, to: "\(directory)/\(name)")
        try FileSystem.syncDirectory(directory, meter: meter)
        // Losing these deletions in a crash only leaves an extra old file, so no directory sync for them.
        for old in try snapshotFiles().dropFirst(Self.keptCount) {
            try FileSystem.remove("\(directory)/\(old.name)")
        }
    }

    /// The newest snapshot, or nil when there is none. Temp files left by a crash are removed. A damaged
    /// newest file throws `.corruptStorage` naming it.
    func latest() throws(RaftError) -> Snapshot? {
        for name in try FileSystem.list(directory) where name.hasPrefix("snap-") && name.hasSuffix(".tmp") {
            try FileSystem.remove("\(directory)/\(name)")
        }
        guard let newest = try snapshotFiles().first else { return nil }
        let path = "\(directory)/\(newest.name)"
        let bytes = try SystemFile.open(path, flags: O_RDONLY).readAll()
        let snapshot: Snapshot
        do {
            snapshot = try SnapshotFile.decode(bytes)
        } catch {
            throw .corruptStorage("\(path): \(error)")
        }
        guard snapshot.metadata.index == newest.index, snapshot.metadata.term == newest.term else {
            throw .corruptStorage(
                "\(path): holds index \(snapshot.metadata.index) term \(snapshot.metadata.term), not what its name says")
        }
        return snapshot
    }

    /// Snapshot files by (index, term), newest first.
    func snapshotFiles() throws(RaftError) -> [(name: String, index: UInt64, term: UInt64)] {
        try FileSystem.list(directory).compactMap { name -> (name: String, index: UInt64, term: UInt64)? in
            // "snap-" + 16 hex + "-" + 16 hex + ".snap"
            let parts = name.utf8.count == 43 && name.hasPrefix("snap-") && name.hasSuffix(".snap")
                ? name.dropFirst(5).dropLast(5).split(separator: "-", omittingEmptySubsequences: false) : []
            guard parts.count == 2, let index = FileSystem.parseHex16(parts[0]),
                  let term = FileSystem.parseHex16(parts[1]) else { return nil }
            return (name, index, term)
        }.sorted { ($0.index, $0.term) > ($1.index, $1.term) }
    }
}

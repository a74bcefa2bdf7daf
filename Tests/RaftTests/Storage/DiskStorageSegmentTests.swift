import Foundation
import Testing
@testable import Raft

extension StorageTests {
    @Suite struct DiskStorageSegmentTests {
        @Test func segmentsRollAndCompactionDeletesOldOnes() throws {
            let temp = try TemporaryDirectory()
            let data = temp.child("node")
            let storage = try DiskStorage(directory: data, segmentBytes: 1024)
            _ = try storage.load()
            for index in UInt64(1)...40 {
                try storage.persist(hardState: HardState(term: 2, vote: 1, commit: index - 1),
                                    entries: makeEntries(index...index, term: 2, size: 100), snapshot: nil)
            }
            let before = try segmentPaths(data)
            #expect(before.count >= 5)
            // Every segment opens with the hard state, so any prefix of them can go.
            for path in before {
                let bytes = try readBytes(path)
                guard case .intact(let payload, _) = LogFrame.scan(bytes, at: 0) else {
                    Issue.record("\(path) does not start with a frame")
                    continue
                }
                #expect(try LogFrame.decode(bytes, payload: payload).contains {
                    if case .hardState = $0 { true } else { false }
                }, "\(path)")
            }
            try storage.saveSnapshot(makeSnapshot(index: 30, term: 2))
            let syncs = storage.syncCount
            try storage.compact(through: 30)
            let after = try segmentPaths(data)
            #expect(after.count < before.count)
            #expect(after == Array(before.suffix(after.count)), "only the oldest segments go")
            #expect(storage.syncCount == syncs + before.count - after.count, "one directory sync per deletion")
            #expect(storage.segmentSequences.count == after.count)
            storage.close()

            let loaded = try DiskStorage(directory: data, segmentBytes: 1024).load()
            #expect(loaded.snapshot == makeSnapshot(index: 30, term: 2))
            #expect(loaded.entries == makeEntries(31...40, term: 2, size: 100))
            #expect(loaded.hardState == HardState(term: 2, vote: 1, commit: 39))
        }

        @Test func compactionNeverDeletesTheOpenSegment() throws {
            let temp = try TemporaryDirectory()
            let data = temp.child("node")
            let storage = try DiskStorage(directory: data, segmentBytes: 1024)
            _ = try storage.load()
            for index in UInt64(1)...20 {
                try storage.persist(hardState: HardState(term: 1, commit: index),
                                    entries: makeEntries(index...index, term: 1, size: 100), snapshot: nil)
            }
            try storage.saveSnapshot(makeSnapshot(index: 20, term: 1))
            try storage.compact(through: 20)
            #expect(try segmentPaths(data).count == 1)
            storage.close()
            let reopened = try DiskStorage(directory: data, segmentBytes: 1024)
            let loaded = try reopened.load()
            #expect(loaded.entries.isEmpty && loaded.snapshot?.metadata.index == 20)
            #expect(loaded.hardState == HardState(term: 1, commit: 20))
            try reopened.persist(hardState: nil, entries: makeEntries(21...21, term: 1), snapshot: nil)
            reopened.close()
            #expect(try DiskStorage(directory: data).load().entries == makeEntries(21...21, term: 1))
        }

        @Test func snapshotMarkerThenEntriesReload() throws {
            let temp = try TemporaryDirectory()
            let data = temp.child("node")
            let snapshot = makeSnapshot(index: 10, term: 3, size: 5000)
            do {
                let storage = try DiskStorage(directory: data, segmentBytes: 1024)
                _ = try storage.load()
                try storage.persist(hardState: HardState(term: 1), entries: makeEntries(1...5, term: 1), snapshot: nil)
                // Starts segment 2. The leader's snapshot then replaces a log that even reaches past it.
                try storage.persist(hardState: nil, entries: makeEntries(6...12, term: 1, size: 100), snapshot: nil)
                try storage.persist(hardState: HardState(term: 3, vote: 2, commit: 10),
                                    entries: makeEntries(11...12, term: 3), snapshot: snapshot)
                try storage.persist(hardState: nil, entries: makeEntries(13...13, term: 3), snapshot: nil)
                #expect(storage.segmentSequences == [1, 2, 3])
            }
            let storage = try DiskStorage(directory: data, segmentBytes: 1024)
            let loaded = try storage.load()
            #expect(loaded == PersistedState(hardState: HardState(term: 3, vote: 2, commit: 10), snapshot: snapshot,
                                             entries: makeEntries(11...13, term: 3)))
            // Segment 1 lies wholly before the marker, so it is obsolete; segment 2 holds entries above 10.
            try storage.compact(through: 10)
            #expect(storage.segmentSequences == [2, 3])
            try storage.persist(hardState: nil, entries: makeEntries(13...20, term: 4), snapshot: nil)
            storage.close()
            let reloaded = try DiskStorage(directory: data, segmentBytes: 1024).load()
            #expect(reloaded.snapshot == snapshot)
            #expect(reloaded.entries == makeEntries(11...12, term: 3) + makeEntries(13...20, term: 4))
        }
    }

    @Suite struct SnapshotStoreTests {
        @Test func saveAndLatestRoundTrip() throws {
            let temp = try TemporaryDirectory()
            let store = SnapshotStore(directory: temp.path, meter: SyncMeter())
            #expect(try store.latest() == nil)
            let snapshot = Snapshot(
                metadata: SnapshotMetadata(index: 0x1_0000_0001, term: 7,
                                           configuration: Configuration(voters: [5, 1, 9], learners: [2, 4])),
                data: Array(repeating: 0xAB, count: 100_000))
            try store.save(snapshot)
            #expect(try store.latest() == snapshot)
            #expect(try FileManager.default.contentsOfDirectory(atPath: temp.path)
                == ["snap-0000000100000001-0000000000000007.snap"])
        }

        @Test func keepsNewestTwo() throws {
            let temp = try TemporaryDirectory()
            let store = SnapshotStore(directory: temp.path, meter: SyncMeter())
            for index in UInt64(1)...5 { try store.save(makeSnapshot(index: index * 10, term: 1)) }
            #expect(try store.snapshotFiles().map(\.index) == [50, 40])
            #expect(try store.latest() == makeSnapshot(index: 50, term: 1))
        }

        @Test func corruptNewestThrowsNamingTheFile() throws {
            let temp = try TemporaryDirectory()
            let store = SnapshotStore(directory: temp.path, meter: SyncMeter())
            try store.save(makeSnapshot(index: 10, term: 1))
            let path = "\(temp.path)/\(SnapshotStore.fileName(index: 20, term: 1))"
            let damages: [(inout [UInt8]) -> Void] = [{ $0[20] ^= 1 }, { $0.removeLast() }, { $0 = [] }]
            for damage in damages {
                try store.save(makeSnapshot(index: 20, term: 1))
                var bytes = try readBytes(path)
                damage(&bytes)
                try writeBytes(bytes, to: path)
                let error = #expect(throws: RaftError.self) { try store.latest() }
                #expect(corruptionMessage(error)?.contains(path) == true, "\(String(describing: error))")
            }
        }

        @Test func fileWhoseNameDisagreesIsCorrupt() throws {
            let temp = try TemporaryDirectory()
            let store = SnapshotStore(directory: temp.path, meter: SyncMeter())
            try store.save(makeSnapshot(index: 10, term: 1))
            let renamed = "\(temp.path)/\(SnapshotStore.fileName(index: 11, term: 1))"
            try FileManager.default.moveItem(
                atPath: "\(temp.path)/\(SnapshotStore.fileName(index: 10, term: 1))", toPath: renamed)
            let error = #expect(throws: RaftError.self) { try store.latest() }
            #expect(corruptionMessage(error)?.contains(renamed) == true)
        }

        @Test func leftoverTempFileIsIgnoredAndRemoved() throws {
            let temp = try TemporaryDirectory()
            let store = SnapshotStore(directory: temp.path, meter: SyncMeter())
            try store.save(makeSnapshot(index: 10, term: 1))
            let leftover = "\(temp.path)/\(SnapshotStore.fileName(index: 20, term: 1)).tmp"
            try writeBytes([1, 2, 3], to: leftover)
            #expect(try store.latest() == makeSnapshot(index: 10, term: 1))
            #expect(!FileManager.default.fileExists(atPath: leftover))
        }

        @Test func savingSyncsFileAndDirectory() throws {
            let temp = try TemporaryDirectory()
            let meter = SyncMeter()
            try SnapshotStore(directory: temp.path, meter: meter).save(makeSnapshot(index: 1, term: 1))
            #expect(meter.count == 2)
        }
    }
}

import Foundation
import Testing
@testable import Raft

extension StorageTests {
    /// What a crash or a bad disk leaves behind, and how `load()` answers it.
    @Suite struct DiskStorageCrashTests {
        /// Three batches in one segment; returns the state after two, the offsets where the three frames
        /// start, and the file size.
        private func writeThreeBatches(_ data: String) throws -> (afterTwo: PersistedState, frames: [Int], size: Int) {
            let storage = try DiskStorage(directory: data)
            _ = try storage.load()
            let segment = try segmentPaths(data)[0]
            try storage.persist(hardState: HardState(term: 1, vote: 1), entries: makeEntries(1...3, term: 1), snapshot: nil)
            let second = try fileSize(segment)
            try storage.persist(hardState: HardState(term: 1, vote: 1, commit: 3), entries: makeEntries(4...5, term: 1),
                                snapshot: nil)
            let third = try fileSize(segment)
            let afterTwo = try storage.load()
            try storage.persist(hardState: HardState(term: 2, vote: 2, commit: 5), entries: makeEntries(6...8, term: 2),
                                snapshot: nil)
            let size = try fileSize(segment)
            storage.close()
            return (afterTwo, [0, second, third], size)
        }

        @Test func tornTailIsCutAtEveryOffset() throws {
            let temp = try TemporaryDirectory()
            let template = temp.child("template")
            let (afterTwo, frames, size) = try writeThreeBatches(template)
            for cut in frames[2]..<size {
                let copy = temp.child("cut-\(cut)")
                try FileManager.default.copyItem(atPath: template, toPath: copy)
                let segment = try segmentPaths(copy)[0]
                try writeBytes(Array(try readBytes(segment)[..<cut]), to: segment)
                let storage = try DiskStorage(directory: copy)
                #expect(try storage.load() == afterTwo, "cut at \(cut)")
                #expect(try fileSize(segment) == frames[2], "cut at \(cut)")
                // The log goes on from where the cut left it, and that survives another reopen.
                try storage.persist(hardState: nil, entries: makeEntries(6...6, term: 3), snapshot: nil)
                storage.close()
                #expect(try DiskStorage(directory: copy).load().entries.last == makeEntries(6...6, term: 3)[0])
                try FileManager.default.removeItem(atPath: copy)
            }
        }

        @Test func zeroFilledTailIsCut() throws {
            let temp = try TemporaryDirectory()
            let data = temp.child("node")
            let (_, _, size) = try writeThreeBatches(data)
            let expected = try DiskStorage(directory: data).load()
            let segment = try segmentPaths(data)[0]
            try writeBytes(try readBytes(segment) + [UInt8](repeating: 0, count: 4096), to: segment)
            #expect(try DiskStorage(directory: data).load() == expected)
            #expect(try fileSize(segment) == size)
        }

        @Test func tornFrameFollowedByZerosIsCut() throws {
            let temp = try TemporaryDirectory()
            let data = temp.child("node")
            let (afterTwo, frames, _) = try writeThreeBatches(data)
            let segment = try segmentPaths(data)[0]
            var bytes = try readBytes(segment)
            bytes[frames[2] + 30] ^= 0xFF
            try writeBytes(bytes + [UInt8](repeating: 0, count: 512), to: segment)
            #expect(try DiskStorage(directory: data).load() == afterTwo)
        }

        /// Damage with intact frames after it cannot come from a crash: refuse to start. Offsets 0-15 hit
        /// the header (magic, length, payload checksum, header checksum); -1 is the frame's last byte.
        @Test(arguments: [0, 5, 9, 13, 20, -1])
        func flippedByteInMiddleFrameIsCorruption(offsetInFrame: Int) throws {
            let temp = try TemporaryDirectory()
            let data = temp.child("node")
            let (_, frames, _) = try writeThreeBatches(data)
            let segment = try segmentPaths(data)[0]
            var bytes = try readBytes(segment)
            let position = offsetInFrame >= 0 ? frames[1] + offsetInFrame : frames[2] - 1
            bytes[position] ^= 0x04
            try writeBytes(bytes, to: segment)
            let error = #expect(throws: RaftError.self) { try DiskStorage(directory: data).load() }
            let message = corruptionMessage(error) ?? "not corruptStorage: \(String(describing: error))"
            #expect(message.contains(segment), "\(message)")
            #expect(message.contains("offset \(frames[1]):"), "\(message)")
            #expect(try readBytes(segment) == bytes, "nothing was cut")
        }

        @Test func damageInAnEarlierSegmentIsCorruption() throws {
            let temp = try TemporaryDirectory()
            let data = temp.child("node")
            try writeSixSegments(data)
            let segments = try segmentPaths(data)
            // Even a cut that would pass for a torn write in the last segment is corruption here.
            let bytes = try readBytes(segments[0])
            try writeBytes(Array(bytes.dropLast(3)), to: segments[0])
            let error = #expect(throws: RaftError.self) { try DiskStorage(directory: data).load() }
            #expect(corruptionMessage(error)?.contains(segments[0]) == true, "\(String(describing: error))")
        }

        @Test func missingSegmentIsCorruption() throws {
            let temp = try TemporaryDirectory()
            let data = temp.child("node")
            try writeSixSegments(data)
            let segments = try segmentPaths(data)
            try FileManager.default.removeItem(atPath: segments[1])
            let error = #expect(throws: RaftError.self) { try DiskStorage(directory: data).load() }
            #expect(corruptionMessage(error)?.contains(segments[1]) == true, "\(String(describing: error))")
        }

        private func writeSixSegments(_ data: String) throws {
            let storage = try DiskStorage(directory: data, segmentBytes: 200)
            _ = try storage.load()
            for index in UInt64(1)...6 {
                try storage.persist(hardState: nil, entries: makeEntries(index...index, term: 1, size: 60), snapshot: nil)
            }
            #expect(storage.segmentSequences == Array(1...6))
        }

        /// A crash after a leader's snapshot file was saved but before its marker frame, with the snapshot
        /// inside the log (different term at its index) and beyond it.
        @Test(arguments: [(UInt64(4), UInt64(2)), (UInt64(10), UInt64(2))])
        func snapshotWithoutMarkerReplacesTheLog(index: UInt64, term: UInt64) throws {
            let temp = try TemporaryDirectory()
            let data = temp.child("node")
            do {
                let storage = try DiskStorage(directory: data)
                _ = try storage.load()
                try storage.persist(hardState: HardState(term: 1, commit: 2), entries: makeEntries(1...5, term: 1),
                                    snapshot: nil)
            }
            let snapshot = makeSnapshot(index: index, term: term)
            try SnapshotStore(directory: "\(data)/snap", meter: SyncMeter()).save(snapshot)
            do {
                let storage = try DiskStorage(directory: data)
                let loaded = try storage.load()
                #expect(loaded == PersistedState(hardState: HardState(term: 1, commit: index), snapshot: snapshot))
                try storage.persist(hardState: nil, entries: makeEntries(index + 1...index + 2, term: term),
                                    snapshot: nil)
            }
            let loaded = try DiskStorage(directory: data).load()
            #expect(loaded.snapshot == snapshot)
            #expect(loaded.entries == makeEntries(index + 1...index + 2, term: term))
        }

        /// The same crash when the snapshot agrees with the log: the entries after it stay.
        @Test func snapshotMatchingTheLogKeepsLaterEntries() throws {
            let temp = try TemporaryDirectory()
            let data = temp.child("node")
            do {
                let storage = try DiskStorage(directory: data)
                _ = try storage.load()
                try storage.persist(hardState: HardState(term: 1, commit: 5), entries: makeEntries(1...5, term: 1),
                                    snapshot: nil)
            }
            try SnapshotStore(directory: "\(data)/snap", meter: SyncMeter()).save(makeSnapshot(index: 3, term: 1))
            let loaded = try DiskStorage(directory: data).load()
            #expect(loaded.entries == makeEntries(4...5, term: 1))
        }

        @Test func corruptNewestSnapshotStopsLoad() throws {
            let temp = try TemporaryDirectory()
            let data = temp.child("node")
            do {
                let storage = try DiskStorage(directory: data)
                _ = try storage.load()
                try storage.persist(hardState: nil, entries: makeEntries(1...5, term: 1), snapshot: nil)
                try storage.saveSnapshot(makeSnapshot(index: 4, term: 1))
            }
            let path = "\(data)/snap/\(SnapshotStore.fileName(index: 4, term: 1))"
            var bytes = try readBytes(path)
            bytes[bytes.count / 2] ^= 0x10
            try writeBytes(bytes, to: path)
            let error = #expect(throws: RaftError.self) { try DiskStorage(directory: data).load() }
            #expect(corruptionMessage(error)?.contains(path) == true, "\(String(describing: error))")
        }
    }
}

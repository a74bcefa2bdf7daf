import Synchronization
import Testing
@testable import Raft

extension StorageTests {
    @Suite struct DiskStorageTests {
        @Test func entriesAndHardStateSurviveReopen() throws {
            let temp = try TemporaryDirectory()
            let data = temp.child("missing/parents/node")
            do {
                let storage = try DiskStorage(directory: data)
                #expect(try storage.load().isEmpty)
                try storage.persist(hardState: HardState(term: 1, vote: 1, commit: 0),
                                    entries: makeEntries(1...3, term: 1), snapshot: nil)
                try storage.persist(hardState: HardState(term: 2, vote: 3, commit: 2),
                                    entries: makeEntries(4...4, term: 2, size: 1000), snapshot: nil)
                try storage.persist(hardState: nil, entries: makeEntries(5...6, term: 2, size: 0), snapshot: nil)
            }
            let loaded = try DiskStorage(directory: data).load()
            #expect(loaded == PersistedState(
                hardState: HardState(term: 2, vote: 3, commit: 2), snapshot: nil,
                entries: makeEntries(1...3, term: 1) + makeEntries(4...4, term: 2, size: 1000)
                    + makeEntries(5...6, term: 2, size: 0)))
        }

        @Test func suffixTruncationSurvivesReopen() throws {
            let temp = try TemporaryDirectory()
            let data = temp.child("node")
            do {
                let storage = try DiskStorage(directory: data)
                _ = try storage.load()
                try storage.persist(hardState: HardState(term: 1), entries: makeEntries(1...10, term: 1), snapshot: nil)
                try storage.persist(hardState: HardState(term: 3), entries: makeEntries(6...7, term: 3), snapshot: nil)
                try storage.persist(hardState: nil, entries: makeEntries(8...8, term: 3), snapshot: nil)
            }
            let storage = try DiskStorage(directory: data)
            #expect(try storage.load().entries == makeEntries(1...5, term: 1) + makeEntries(6...8, term: 3))
            try storage.persist(hardState: nil, entries: makeEntries(2...2, term: 4), snapshot: nil)
            storage.close()
            #expect(try DiskStorage(directory: data).load().entries
                == makeEntries(1...1, term: 1) + makeEntries(2...2, term: 4))
        }

        @Test func oneSyncPerBatch() throws {
            let temp = try TemporaryDirectory()
            let observed = Mutex<[Duration]>([])
            let storage = try DiskStorage(directory: temp.child("node"), onSync: { duration in
                observed.withLock { $0.append(duration) }
            })
            _ = try storage.load()
            let start = storage.syncCount
            for batch in 0..<20 {
                let index = UInt64(batch * 8 + 1)
                try storage.persist(hardState: HardState(term: 1, vote: 1, commit: index - 1),
                                    entries: makeEntries(index...index + 7, term: 1), snapshot: nil)
                #expect(storage.syncCount == start + batch + 1)
            }
            try storage.persist(hardState: HardState(term: 2), entries: [], snapshot: nil)
            #expect(storage.syncCount == start + 21)
            try storage.persist(hardState: nil, entries: [], snapshot: nil)
            #expect(storage.syncCount == start + 21, "an empty batch writes nothing")
            #expect(observed.withLock { $0.count } == storage.syncCount)
        }

        @Test func lockRefusesSecondOpener() throws {
            let temp = try TemporaryDirectory()
            let data = temp.child("node")
            let first = try DiskStorage(directory: data)
            let error = #expect(throws: RaftError.self) { try DiskStorage(directory: data) }
            guard case .storage(let message)? = error else {
                Issue.record("expected .storage, got \(String(describing: error))")
                return
            }
            #expect(message.contains("already in use") && message.contains(data), "\(message)")
            first.close()
            #expect(throws: RaftError.stopped) { try first.load() }
            _ = try DiskStorage(directory: data).load()
        }

        @Test func contractViolationsStoreNothing() throws {
            let temp = try TemporaryDirectory()
            let storage = try DiskStorage(directory: temp.child("node"))
            _ = try storage.load()
            try storage.persist(hardState: nil, entries: makeEntries(1...5, term: 1), snapshot: nil)
            let syncs = storage.syncCount
            let gap = #expect(throws: RaftError.self) {
                try storage.persist(hardState: nil, entries: makeEntries(7...8, term: 1), snapshot: nil)
            }
            #expect(gap.map { if case .storage = $0 { true } else { false } } == true)
            #expect(throws: RaftError.self) {
                try storage.persist(hardState: nil, entries: makeEntries(6...6, term: 1) + makeEntries(8...8, term: 1),
                                    snapshot: nil)
            }
            try storage.saveSnapshot(makeSnapshot(index: 3, term: 1))
            #expect(throws: RaftError.self) {
                try storage.persist(hardState: nil, entries: makeEntries(3...3, term: 2), snapshot: nil)
            }
            #expect(throws: RaftError.self) { try storage.saveSnapshot(makeSnapshot(index: 9, term: 1)) }
            // Older than the stored snapshot: ignored, not an error.
            try storage.saveSnapshot(makeSnapshot(index: 2, term: 1))
            #expect(storage.syncCount == syncs + 2, "only the snapshot at 3 was written")
            #expect(try storage.load().snapshot == makeSnapshot(index: 3, term: 1))
        }

        @Test func compactionWithoutNewSegmentsKeepsEverythingLoadable() throws {
            let temp = try TemporaryDirectory()
            let data = temp.child("node")
            do {
                let storage = try DiskStorage(directory: data)
                _ = try storage.load()
                try storage.persist(hardState: HardState(term: 1, commit: 4), entries: makeEntries(1...6, term: 1),
                                    snapshot: nil)
                try storage.saveSnapshot(makeSnapshot(index: 4, term: 1))
                try storage.compact(through: 4)
            }
            let loaded = try DiskStorage(directory: data).load()
            #expect(loaded.snapshot == makeSnapshot(index: 4, term: 1))
            #expect(loaded.entries == makeEntries(5...6, term: 1))
            #expect(loaded.hardState == HardState(term: 1, commit: 4))
        }
    }
}

import Testing
@testable import Raft

extension StorageTests {
    /// Random persist / snapshot / compact / reopen sequences against the simplest model of the contract.
    @Suite struct StoragePropertyTests {
        /// What `load()` must return after the same calls: no files, no segments, no replay.
        struct Model {
            var hardState = HardState()
            var snapshot: Snapshot?
            /// Only the entries after the snapshot.
            var entries: [Entry] = []

            var snapshotIndex: UInt64 { snapshot?.metadata.index ?? 0 }
            var lastIndex: UInt64 { entries.last?.index ?? snapshotIndex }

            mutating func persist(hardState: HardState?, entries new: [Entry], snapshot: Snapshot?) {
                if let snapshot {
                    self.snapshot = snapshot
                    entries = []
                }
                if let first = new.first { entries.removeAll { $0.index >= first.index } }
                entries += new
                if let hardState { self.hardState = hardState }
            }

            mutating func saveSnapshot(_ snapshot: Snapshot) {
                self.snapshot = snapshot
                entries.removeAll { $0.index <= snapshot.metadata.index }
            }

            var loaded: PersistedState {
                var state = hardState
                state.commit = max(state.commit, snapshotIndex)
                return PersistedState(hardState: state, snapshot: snapshot, entries: entries)
            }
        }

        /// Small segments, so rolling and compaction happen every few steps.
        @Test(arguments: UInt64(1)...12)
        func randomHistoriesMatchTheModel(seed: UInt64) throws {
            let temp = try TemporaryDirectory()
            let data = temp.child("node")
            var random = SeededGenerator(seed: seed)
            var model = Model()
            let memory = MemoryStorage()
            var disk = try DiskStorage(directory: data, segmentBytes: 512)
            #expect(try disk.load() == model.loaded)
            var term: UInt64 = 1
            for step in 0..<300 {
                let roll = Int.random(in: 0..<100, using: &random)
                if roll < 8 { term += 1 }
                switch roll {
                case 0..<70:
                    let (hardState, entries) = randomBatch(model, term: term, using: &random)
                    try disk.persist(hardState: hardState, entries: entries, snapshot: nil)
                    try memory.persist(hardState: hardState, entries: entries, snapshot: nil)
                    model.persist(hardState: hardState, entries: entries, snapshot: nil)
                case 70..<78:
                    // A snapshot from the leader, maybe behind the end of our log, maybe beyond it.
                    let index = model.snapshotIndex
                        + UInt64.random(in: 1...(model.lastIndex - model.snapshotIndex + 6), using: &random)
                    let snapshot = makeSnapshot(index: index, term: term, size: Int.random(in: 0...200, using: &random))
                    let entries = makeEntries(index + 1...index + UInt64.random(in: 1...3, using: &random), term: term)
                    let hardState = HardState(term: term, vote: 1, commit: index)
                    try disk.persist(hardState: hardState, entries: entries, snapshot: snapshot)
                    try memory.persist(hardState: hardState, entries: entries, snapshot: snapshot)
                    model.persist(hardState: hardState, entries: entries, snapshot: snapshot)
                case 78..<90 where model.lastIndex > model.snapshotIndex:
                    // A local snapshot of an entry we hold, then compaction up to it.
                    let index = UInt64.random(in: model.snapshotIndex + 1...model.lastIndex, using: &random)
                    let entryTerm = model.entries.first { $0.index == index }!.term
                    let snapshot = makeSnapshot(index: index, term: entryTerm)
                    let compactTo = UInt64.random(in: model.snapshotIndex...index, using: &random)
                    for storage in [disk, memory] as [any RaftStorage] {
                        try storage.saveSnapshot(snapshot)
                        try storage.compact(through: compactTo)
                    }
                    model.saveSnapshot(snapshot)
                case 90..<100:
                    disk.close()
                    disk = try DiskStorage(directory: data, segmentBytes: 512)
                    #expect(try disk.load() == model.loaded, "seed \(seed) step \(step)")
                default:
                    break
                }
                #expect(try memory.load() == model.loaded, "seed \(seed) step \(step)")
            }
            disk.close()
            #expect(try DiskStorage(directory: data, segmentBytes: 512).load() == model.loaded, "seed \(seed)")
        }

        /// Entries starting anywhere from just after the snapshot to just after the log (mostly the
        /// latter), with a hard state half of the time.
        private func randomBatch(
            _ model: Model, term: UInt64, using random: inout SeededGenerator
        ) -> (HardState?, [Entry]) {
            let first = Bool.random(using: &random) && model.lastIndex > model.snapshotIndex
                ? UInt64.random(in: model.snapshotIndex + 1...model.lastIndex + 1, using: &random)
                : model.lastIndex + 1
            let count = UInt64.random(in: 0...6, using: &random)
            let entries = count == 0 ? [] : (first...first + count - 1).map { index in
                Entry(term: term, index: index, kind: .normal,
                      data: (0..<Int.random(in: 0...80, using: &random)).map { _ in
                          UInt8.random(in: 0...255, using: &random)
                      })
            }
            let lastIndex = entries.last?.index ?? model.lastIndex
            let hardState = count == 0 || Bool.random(using: &random)
                ? HardState(term: term, vote: UInt64.random(in: 0...3, using: &random),
                            commit: UInt64.random(in: 0...lastIndex, using: &random))
                : nil
            return (hardState, entries)
        }
    }

    @Suite struct MemoryStorageTests {
        @Test func startsFromBootstrapAndAppliesTheContract() throws {
            let storage = MemoryStorage(PersistedState.bootstrap(voters: [3, 1, 2]))
            let loaded = try storage.load()
            #expect(loaded.entries.count == 3 && loaded.hardState.commit == 3)
            try storage.persist(hardState: nil, entries: makeEntries(3...4, term: 2), snapshot: nil)
            #expect(try storage.load().entries.map(\.term) == [1, 1, 2, 2])
            #expect(throws: RaftError.self) {
                try storage.persist(hardState: nil, entries: makeEntries(9...9, term: 2), snapshot: nil)
            }
            try storage.saveSnapshot(makeSnapshot(index: 3, term: 2))
            try storage.compact(through: 3)
            #expect(try storage.load().entries == makeEntries(4...4, term: 2))
        }
    }
}

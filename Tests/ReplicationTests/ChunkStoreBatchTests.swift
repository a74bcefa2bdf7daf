import Foundation
import Testing
@testable import Replication

/// `ChunkStore.put(batch:)`: the answers of one-by-one puts, with two syncs per batch.
@Suite struct ChunkStoreBatchTests {
    @Test func aBatchAnswersEachFrameLikeSinglePutsAndSurvivesReopening() throws {
        let directory = TemporaryDirectory()
        let store = try ChunkStore(directory: directory.path, options: testStoreOptions)
        let held = frames(2, seed: 1)
        for frame in held { try store.put(frame) }
        let fresh = frames(5, seed: 2)
        let impostor = ChunkID(of: [9, 9])
        let forged = try ChunkFrame(parsing: forgeFrame(fresh[0].bytes, id: impostor))
        // new, held, repeated within the batch, forged, new.
        let batch = [fresh[1], held[0], fresh[2], fresh[1], forged, held[1], fresh[3]]
        let results = store.put(batch: batch)
        #expect(results.count == batch.count)
        #expect(try results[0].get() == .stored)
        #expect(try results[1].get() == .deduplicated)
        #expect(try results[2].get() == .stored)
        #expect(try results[3].get() == .deduplicated)
        #expect(throws: ReplicationError.idMismatch(expected: impostor, actual: fresh[0].id)) { try results[4].get() }
        #expect(try results[5].get() == .deduplicated)
        #expect(try results[6].get() == .stored)
        #expect(directory.files(under: "tmp").isEmpty)
        #expect(try store.contains(impostor) == false)
        #expect(try store.totals().chunks == 5)
        store.close()

        let reopened = try ChunkStore(directory: directory.path, options: testStoreOptions)
        for frame in held + [fresh[1], fresh[2], fresh[3]] {
            #expect(try reopened.get(frame.id).frame.bytes == frame.bytes)
        }
        #expect(try reopened.totals().chunks == 5)
        #expect(directory.list("quarantine").isEmpty)
    }

    @Test func aFullDiskRefusesTheBatchAndLeavesNothing() throws {
        let directory = TemporaryDirectory()
        let store = try ChunkStore(directory: directory.path, options: ChunkStore.Options(reserveBytes: Int.max / 2))
        let results = store.put(batch: frames(4, seed: 3))
        for result in results {
            #expect { try result.get() } throws: { error in
                guard case .insufficientSpace = error as? ReplicationError else { return false }
                return true
            }
        }
        #expect(directory.files(under: "chunks").isEmpty && directory.files(under: "tmp").isEmpty)
        #expect(try store.totals().chunks == 0)
    }

    @Test func anOversizedFrameIsRefusedAndTheRestAreStored() throws {
        let directory = TemporaryDirectory()
        let store = try ChunkStore(directory: directory.path,
                                   options: ChunkStore.Options(reserveBytes: 0, maxChunkBytes: 30_000))
        let small = frames(3, seed: 4, size: 1_000)
        let big = ChunkFrame(encoding: TestData.random(40_000, seed: 5))
        let results = store.put(batch: [small[0], big, small[1], small[2]])
        #expect(throws: ReplicationError.chunkTooLarge(length: 40_000, limit: 30_000)) { try results[1].get() }
        #expect(results.enumerated().filter { $0.offset != 1 }.allSatisfy { (try? $0.element.get()) == .stored })
        #expect(try store.has(small.map(\.id) + [big.id]) == [true, true, true, false])
    }

    /// The async store's cut of a large batch: contiguous runs covering every frame once, nearly equal.
    @Test(arguments: [(8, 1), (9, 2), (31, 3), (64, 4), (65, 4)] as [(Int, Int)])
    func runsCoverTheBatchInNearlyEqualParts(count: Int, parts: Int) {
        let runs = AsyncChunkStore.runs(of: count, into: parts)
        #expect(runs.count == parts)
        #expect(runs.first?.lowerBound == 0 && runs.last?.upperBound == count)
        #expect(zip(runs, runs.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
        let sizes = runs.map(\.count)
        #expect(sizes.max()! - sizes.min()! <= 1)
    }

    /// Random batches, single puts and deletes against a set of held ids, then a reopen.
    @Test(arguments: [11, 12, 13] as [UInt64])
    func batchesSinglePutsAndDeletesAgreeWithAModel(seed: UInt64) throws {
        var generator = SplitMix64(seed: seed)
        let directory = TemporaryDirectory()
        let store = try ChunkStore(directory: directory.path, options: testStoreOptions)
        let pool = frames(40, seed: seed &* 100, size: 2_000)
        var model: Set<ChunkID> = []
        for _ in 0..<60 {
            switch generator.next() % 3 {
            case 0:
                let batch = (0..<Int(generator.next() % 24)).map { _ in pool[Int(generator.next() % 40)] }
                for (frame, result) in zip(batch, store.put(batch: batch)) {
                    // The first copy of an id not yet held is stored; every other copy is a duplicate.
                    #expect(try result.get() == (model.contains(frame.id) ? .deduplicated : .stored))
                    model.insert(frame.id)
                }
            case 1:
                let frame = pool[Int(generator.next() % 40)]
                #expect(try store.put(frame) == (model.contains(frame.id) ? .deduplicated : .stored))
                model.insert(frame.id)
            default:
                let frame = pool[Int(generator.next() % 40)]
                #expect(try store.delete(frame.id) == model.contains(frame.id))
                model.remove(frame.id)
            }
        }
        #expect(try store.has(pool.map(\.id)) == pool.map { model.contains($0.id) })
        store.close()
        let reopened = try ChunkStore(directory: directory.path, options: testStoreOptions)
        #expect(try reopened.has(pool.map(\.id)) == pool.map { model.contains($0.id) })
        #expect(try reopened.totals().chunks == model.count)
        #expect(directory.files(under: "tmp").isEmpty)
    }
}

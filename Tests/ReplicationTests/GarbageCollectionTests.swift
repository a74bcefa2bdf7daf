import Foundation
import Synchronization
import Testing
@testable import Replication

/// A clock the test moves by hand, in nanoseconds.
final class ManualNanos: Sendable {
    private let value = Mutex<UInt64>(1_000_000_000_000)
    var now: UInt64 { value.withLock { $0 } }
    func advance(seconds: UInt64) { value.withLock { $0 += seconds * 1_000_000_000 } }
    var clock: @Sendable () -> UInt64 { { [self] in now } }
}

@Suite struct GarbageCollectionTests {
    static let minute: UInt64 = 60 * 1_000_000_000

    @Test func collectDeletesOnlyChunksUntouchedForThePeriod() throws {
        let directory = TemporaryDirectory()
        let time = ManualNanos()
        let store = try ChunkStore(directory: directory.path, options: testStoreOptions, clock: time.clock)
        let chunks = frames(4, seed: 40)
        for frame in chunks { try store.put(frame) }
        time.advance(seconds: 600)
        // A writer asks about chunk 0 (it will refer to it instead of sending it) and re-puts chunk 1.
        _ = try store.has([chunks[0].id])
        #expect(try store.put(chunks[1]) == .deduplicated)
        time.advance(seconds: 30)
        let report = try store.collect(chunks.map(\.id) + [ChunkID(of: [1])], untouchedForNanos: 5 * Self.minute)
        #expect(report.deleted == 2 && report.recentlyUsed == 2 && report.absent == 1)
        #expect(try store.has(chunks.map(\.id)) == [true, true, false, false])
        #expect(directory.files(under: "chunks").count == 2)
        #expect(report.deletedBytes == chunks[2].storedLength + chunks[3].storedLength)
        // Reopened, every chunk counts as just used: nothing is old right after a restart.
        store.close()
        let reopened = try ChunkStore(directory: directory.path, options: testStoreOptions, clock: time.clock)
        time.advance(seconds: 60)
        #expect(try reopened.collect(chunks.map(\.id), untouchedForNanos: 5 * Self.minute).deleted == 0)
    }

    @Test func aHasRacingACollectEitherKeepsTheChunkOrReportsItMissing() async throws {
        // Many rounds of a writer's `has` against GC's `collect` of the same old chunk, on two threads:
        // whenever `has` answered true, the chunk must still be there afterwards.
        let directory = TemporaryDirectory()
        let time = ManualNanos()
        let store = try ChunkStore(directory: directory.path, options: testStoreOptions, clock: time.clock)
        let executor = BlockingExecutor(threads: 2, label: "gc-race")
        defer { executor.shutdown() }
        for round in 0..<200 {
            let frame = frames(1, seed: UInt64(1_000 + round), size: 300)[0]
            try store.put(frame)
            time.advance(seconds: 3_600)
            async let held = executor.run { () throws(ReplicationError) -> Bool in try store.has([frame.id])[0] }
            async let collected = executor.run { () throws(ReplicationError) -> Int in
                try store.collect([frame.id], untouchedForNanos: Self.minute).deleted
            }
            let (wasHeld, deleted) = try await (held, collected)
            #expect(wasHeld != (deleted == 1), "round \(round): has said \(wasHeld), collect deleted \(deleted)")
            #expect(try store.contains(frame.id) == wasHeld)
        }
    }

    @Test func theSweepSparesMarkedChunksAndWhatUploadsInFlightMayUse() async throws {
        let time = ManualNanos()
        let members: [MemberID] = [1, 2]
        var stores: [MemberID: AsyncChunkStore] = [:]
        var directories: [TemporaryDirectory] = []
        let executor = BlockingExecutor(threads: 2, label: "gc-sweep")
        defer { executor.shutdown() }
        let uploads = UploadRegistry(clock: time.clock)
        for member in members {
            let directory = TemporaryDirectory()
            directories.append(directory)
            stores[member] = AsyncChunkStore(store: try ChunkStore(directory: directory.path, options: testStoreOptions,
                                                                   clock: time.clock), executor: executor)
        }
        let peers = LocalChunkPeers(stores: stores, uploads: [2: uploads])
        let kept = frames(3, seed: 50)
        let garbage = frames(3, seed: 60)
        for member in members { _ = try await stores[member]!.put(kept + garbage) }
        let collector = GarbageCollector(peers: peers, grace: .seconds(600), clock: time.clock)

        // An upload began on member 2 two hours ago: chunks used in that time are spared.
        let token = uploads.begin()
        time.advance(seconds: 7_200)
        var report = await collector.sweep(marked: Set(kept.map(\.id)), live: members, markedAt: time.now)
        #expect(report.candidates == 6 && report.deleted == 0 && report.recentlyUsed == 6, "\(report)")

        token.finish()
        report = await collector.sweep(marked: Set(kept.map(\.id)), live: members, markedAt: time.now)
        #expect(report.deleted == 6 && report.membersSwept == 2 && report.failures.isEmpty, "\(report)")
        for member in members {
            #expect(try await stores[member]!.has(kept.map(\.id)) == [true, true, true])
            #expect(try await stores[member]!.has(garbage.map(\.id)) == [false, false, false])
        }
    }

    @Test func withNoUploadInFlightThePeriodIsTheGracePeriod() async throws {
        let time = ManualNanos()
        let directory = TemporaryDirectory()
        let executor = BlockingExecutor(threads: 1, label: "gc-grace")
        defer { executor.shutdown() }
        let store = AsyncChunkStore(store: try ChunkStore(directory: directory.path, options: testStoreOptions,
                                                          clock: time.clock), executor: executor)
        let peers = LocalChunkPeers(stores: [1: store], uploads: [1: UploadRegistry(clock: time.clock)])
        let garbage = frames(2, seed: 65)
        _ = try await store.put(garbage)
        let collector = GarbageCollector(peers: peers, grace: .seconds(10), clock: time.clock)

        time.advance(seconds: 9)
        var report = await collector.sweep(marked: [], live: [1], markedAt: time.now)
        #expect(report.deleted == 0 && report.recentlyUsed == 2, "\(report)")
        time.advance(seconds: 2)
        report = await collector.sweep(marked: [], live: [1], markedAt: time.now)
        #expect(report.deleted == 2 && report.failures.isEmpty, "\(report)")
    }

    @Test func aMemberThatCannotSayWhatIsInFlightStopsTheSweep() async throws {
        let cluster = try await TestCluster.make(3)
        let garbage = frames(2, seed: 70)
        for member in cluster.members { _ = try await cluster.peers.put(garbage, on: member) }
        cluster.peers.setFaults { $0.down = [3] }
        let collector = GarbageCollector(peers: cluster.peers, grace: .zero)
        let report = await collector.sweep(marked: [], live: cluster.members, markedAt: ChunkStore.monotonicNanos())
        #expect(report.deleted == 0 && report.membersSwept == 0 && report.failures.count == 1, "\(report)")
        #expect(cluster.peers.calls(.collect) == 0)
    }
}

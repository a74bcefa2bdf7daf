import Testing
@testable import Replication

@Suite struct ScrubberTests {
    @Test func stepsCoverTheStoreAtTheConfiguredRateAndReportCorruption() async throws {
        let cluster = try await TestCluster.make(1)
        let frames = try await smallFrames(10, seed: 41)
        let store = cluster.async(1)
        _ = await store.put(frames)
        let bad = frames[3].id
        try await offPool { try damage(cluster.stores[1]!.chunkPath(bad), at: ChunkFrame.headerSize + 2) }
        let reports = Locked<[ChunkStore.ScrubReport]>([])
        let scrubber = Scrubber(store: store, chunksPerSecond: 2, interval: .seconds(2), clock: VirtualTime().clock) { report in
            reports.withLock { $0.append(report) }
        }
        #expect(scrubber.chunksPerStep == 4)
        var steps = 0
        while try await !scrubber.step().passCompleted && steps < 10 { steps += 1 }
        #expect(reports.value.count == 3, "10 chunks, 4 a step")
        #expect(reports.value.flatMap(\.corrupt) == [bad])
        #expect(reports.value.reduce(0) { $0 + $1.checked } == 10)
        #expect(cluster.holders(of: bad).isEmpty, "quarantined: no longer held")
    }

    @Test func runStepsEveryIntervalUntilCancelled() async throws {
        let cluster = try await TestCluster.make(1)
        _ = await cluster.async(1).put(try await smallFrames(3, seed: 42))
        let time = VirtualTime()
        let reports = Locked(0)
        let scrubber = Scrubber(store: cluster.async(1), chunksPerSecond: 1, interval: .seconds(5), clock: time.clock) { _ in
            reports.withLock { $0 += 1 }
        }
        let running = Task { await scrubber.run() }
        while reports.value < 3 { try await Task.sleep(for: .milliseconds(1)) }
        running.cancel()
        await running.value
        let count = reports.value
        #expect(count >= 3)
        #expect(time.now >= .seconds(5 * count), "one step per interval")
    }
}

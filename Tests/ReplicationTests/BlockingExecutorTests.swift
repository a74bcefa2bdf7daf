import Dispatch
import Synchronization
import Testing
@testable import Replication

/// A latch the executor's threads can block on (they are not the cooperative pool, so they may).
private final class Gate: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)

    func wait() { semaphore.wait() }
    func open(_ count: Int) { for _ in 0..<count { semaphore.signal() } }
}

private enum TestFailure: Error, Equatable {
    case boom(Int)
}

/// Polls `condition` (every millisecond, up to ~10 s) until it holds; whether it did.
private func eventually(_ condition: () -> Bool) async -> Bool {
    for _ in 0..<10_000 {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(1))
    }
    return condition()
}

@Suite struct BlockingExecutorTests {
    @Test func runsOnItsOwnNamedThreadsNotThePool() async {
        let executor = BlockingExecutor(threads: 2, label: "blk-own")
        defer { executor.shutdown() }
        let names = await withTaskGroup(of: String.self) { group in
            for _ in 0..<8 { group.addTask { await executor.run { currentThreadName() } } }
            return await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(!names.isEmpty)
        #expect(names.allSatisfy { $0.hasPrefix("blk-own-") }, "ran on \(names)")
        #expect(names.isSubset(of: ["blk-own-0", "blk-own-1"]))
    }

    @Test func oneThreadRunsClosuresInSubmissionOrderAndEachCallerGetsItsResult() async {
        let executor = BlockingExecutor(threads: 1, label: "blk-order")
        defer { executor.shutdown() }
        let gate = Gate()
        let order = Locked<[Int]>([])
        let started = Locked(false)
        let blocker = Task { await executor.run { started.withLock { $0 = true }; gate.wait() } }
        #expect(await eventually { started.value })
        var tasks: [Task<Int, Never>] = []
        for index in 0..<40 {
            // Each submission is queued before the next is made, so the submission order is known.
            tasks.append(Task { await executor.run { order.withLock { $0.append(index) }; return index * 3 } })
            #expect(await eventually { executor.statistics.queued == index + 1 })
        }
        gate.open(1)
        await blocker.value
        for (index, task) in tasks.enumerated() { #expect(await task.value == index * 3) }
        #expect(order.value == Array(0..<40))
    }

    @Test func typedErrorsPropagate() async {
        let executor = BlockingExecutor(threads: 2, label: "blk-error")
        defer { executor.shutdown() }
        do throws(TestFailure) {
            _ = try await executor.run { () throws(TestFailure) -> Int in throw .boom(7) }
            Issue.record("expected an error")
        } catch {
            #expect(error == .boom(7), "the error keeps its type: no cast needed")
        }
        do throws(ReplicationError) {
            let value = try await executor.run { () throws(ReplicationError) -> Int in 42 }
            #expect(value == 42)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func aFullQueueMakesCallersWaitAndLosesNothing() async {
        let executor = BlockingExecutor(threads: 1, label: "blk-bound", queueLimit: 3)
        defer { executor.shutdown() }
        let gate = Gate()
        let total = 20
        let done = Locked(0)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<total {
                group.addTask { await executor.run { gate.wait(); done.withLock { $0 += 1 } } }
            }
            // One closure runs (blocked), three are queued, the rest wait for room.
            #expect(await eventually { executor.statistics.queued == 3 && executor.statistics.waitingForRoom == total - 1 - 3 })
            gate.open(total)
        }
        #expect(done.value == total)
        #expect(executor.statistics.maxQueued == 3, "never more than queueLimit queued")
        #expect(executor.statistics.completed == total)
    }

    @Test func shutdownDrainsQueuedWorkThenStopsTheThreads() async {
        let executor = BlockingExecutor(threads: 2, label: "blk-drain", queueLimit: 4)
        let gate = Gate()
        let total = 12
        let done = Locked(0)
        let work = Task {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<total {
                    group.addTask { await executor.run { gate.wait(); done.withLock { $0 += 1 } } }
                }
            }
        }
        #expect(await eventually { executor.statistics.queued == 4 && executor.statistics.waitingForRoom == total - 2 - 4 })
        executor.shutdown()
        gate.open(total)
        await work.value
        await executor.awaitTermination()
        #expect(done.value == total, "everything submitted before shutdown ran")
        #expect(executor.statistics.liveThreads == 0)
        // A late caller still gets its answer, on a one-off thread.
        let late = await executor.run { currentThreadName() }
        #expect(late == "blk-drain-late")
    }
}

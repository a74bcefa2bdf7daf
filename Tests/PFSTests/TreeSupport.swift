import Foundation
import Replication
import Testing
@testable import PFS

/// Seeds for the tree property tests. `PFS_SEED=n swift test --filter PFSTests` replays one seed exactly
/// (every failure message prints its seed); `PFS_SEEDS=a-b` runs a range.
enum TreeSeeds {
    static func ci(_ count: UInt64) -> [UInt64] {
        let environment = ProcessInfo.processInfo.environment
        if let value = environment["PFS_SEED"], let seed = UInt64(value) { return [seed] }
        if let range = environment["PFS_SEEDS"]?.split(separator: "-"), range.count == 2,
           let low = UInt64(range[0]), let high = UInt64(range[1]), low <= high {
            return Array(low...high)
        }
        return Array(1...count)
    }
}

/// A `TaskExecutor` that runs every job on one dedicated thread. Tree operations are `async` (their
/// store is), and a long test body on the cooperative pool (2 cores in CI) would starve other tests'
/// timers; with this as the task executor preference, the body and its child tasks run here instead.
final class ThreadExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []  // guarded by `condition`
    private var stopped = false  // guarded by `condition`

    init(name: String) {
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Lets the thread end once the queued jobs have run.
    func shutdown() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopped { condition.wait() }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}

/// Runs `body` (and the tasks it starts) on a dedicated thread, off the cooperative pool.
func offPool<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
    let executor = ThreadExecutor(name: "pfs-tree-test")
    defer { executor.shutdown() }
    return try await withTaskExecutorPreference(executor) { try await body() }
}

/// A valid path literal; a typo traps.
func path(_ text: String) -> PFSPath { try! PFSPath(text) }

/// A stand-in file-object id: distinct per `n`, stable across runs.
func fileID(_ n: UInt64) -> ChunkID { ChunkID(of: Array("file-\(n)".utf8)) }

/// A fresh store and a reader over it (no cache, so `store.loads` counts every object loaded).
func memoryTree() -> (MemoryTreeObjectStore, TreeReader) {
    let store = MemoryTreeObjectStore()
    return (store, TreeReader(store: store))
}

/// `base` plus puts of `files` (path text → (id number, size)) and then `deletes`.
func build(_ reader: TreeReader, base: ChunkID? = nil, puts files: [(String, UInt64, UInt64)] = [],
           deletes: [String] = []) async throws -> ChunkID? {
    let changes = files.map { StagedChange.put(path($0.0), file: fileID($0.1), sizeBytes: $0.2) } + deletes.map { .delete(path($0)) }
    return try await TreeBuilder.build(base: base, changes: changes, reader: reader).root
}

extension FileTree {
    /// Every file and directory (not the root), in path order.
    func everything() async throws -> [TreeEntry] {
        try await TreeWalk(tree: self, start: .root, include: { !$0.path.isRoot }, descend: { _ in true }).collect()
    }
}

/// The error's text, for checks on messages.
func message(of body: () async throws -> Void) async -> String? {
    do {
        try await body()
        return nil
    } catch {
        return "\(error)"
    }
}

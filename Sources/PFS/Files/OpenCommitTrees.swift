import Replication
import Synchronization

/// The trees of open commits, built for reads: the parent's tree plus the staged writes, built into
/// memory (nothing is stored in the chunk store until the commit is finished) and kept for the few
/// most recent (commit, staged version) pairs, so a `list file` after each of many `put file`s into one
/// open commit does not rebuild unchanged states.
public final class OpenCommitTrees: Sendable {
    private struct Key: Hashable {
        var commit: CommitID
        var version: UInt64
    }

    private struct Built {
        var key: Key
        var tree: FileTree
    }

    /// Built trees kept at once.
    public let capacity: Int
    private let built = Mutex<[Built]>([])

    public init(capacity: Int = 4) {
        precondition(capacity > 0, "capacity \(capacity) must be positive")
        self.capacity = capacity
    }

    /// The tree of open commit `commit` at staged version `version`: `parentRoot` plus `staged`, with
    /// objects read through `reader` (the chunk store) and the built directories in memory.
    public func tree(commit: CommitID, version: UInt64, parentRoot: ChunkID?, staged: StagedTree,
                     reader: TreeReader) async throws -> FileTree {
        let key = Key(commit: commit, version: version)
        if let hit = built.withLock({ entries -> FileTree? in
            guard let index = entries.firstIndex(where: { $0.key == key }) else { return nil }
            let entry = entries.remove(at: index)
            entries.append(entry)
            return entry.tree
        }) {
            return hit
        }
        let layered = LayeredTreeObjectStore(lower: reader.store)
        let buildReader = TreeReader(store: layered, cache: reader.cache)
        let result = try await TreeBuilder.build(base: parentRoot, changes: staged.changes, reader: buildReader)
        let tree = buildReader.tree(result.root)
        built.withLock { entries in
            entries.removeAll { $0.key.commit == commit }
            entries.append(Built(key: key, tree: tree))
            if entries.count > capacity { entries.removeFirst(entries.count - capacity) }
        }
        return tree
    }

    /// Forgets every built tree (for tests).
    public func removeAll() {
        built.withLock { $0.removeAll() }
    }
}

/// Wakes tasks waiting for the metadata to change: the state machine calls `bump` after each applied
/// entry, and a waiter sleeps until the counter passes the value it last saw. For `wait commit` and
/// `subscribe commit`, which must notice new commits without polling.
public final class ChangeSignal: Sendable {
    private struct State {
        var counter: UInt64 = 0
        var waiters: [UInt64: (after: UInt64, continuation: CheckedContinuation<UInt64, Never>)] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// The number of changes so far.
    public var current: UInt64 { state.withLock { $0.counter } }

    /// Records a change and wakes every waiter.
    public func bump() {
        let woken = state.withLock { state -> [(UInt64, CheckedContinuation<UInt64, Never>)] in
            state.counter += 1
            let all = state.waiters.values.map { ($0.after, $0.continuation) }
            state.waiters.removeAll()
            return all
        }
        let counter = current
        for (_, continuation) in woken { continuation.resume(returning: counter) }
    }

    /// Returns the counter once it is past `after`, or at once if it already is. Returns early (with
    /// the unchanged counter) when the task is cancelled.
    public func wait(after: UInt64) async -> UInt64 {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<UInt64, Never>) in
                let resumeNow = state.withLock { state -> UInt64? in
                    if state.counter > after || Task.isCancelled { return state.counter }
                    state.waiters[id] = (after, continuation)
                    return nil
                }
                if let resumeNow { continuation.resume(returning: resumeNow) }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.continuation.resume(returning: current)
        }
    }
}

import Replication
import Synchronization

/// Where tree objects live: content-addressed bytes. The node implements it over the replicated chunk
/// store; tests use `MemoryTreeObjectStore`.
///
/// Contract:
/// - `store` MUST return `ChunkID(of: bytes)` and be idempotent: storing bytes that are already there
///   succeeds and changes nothing. It MUST be durable (replicated) before it returns, because the
///   caller proposes the root id through Raft right after.
/// - `load` MUST return exactly the bytes stored under `id` or throw; it MUST NOT return bytes for an id
///   it does not hold. (The tree layer checks the id again anyway: corrupt data is never served.)
public protocol TreeObjectStore: Sendable {
    /// The bytes named `id`.
    func load(_ id: ChunkID) async throws -> [UInt8]
    /// Stores `bytes` and returns their id, the SHA-256 of the bytes.
    func store(_ bytes: [UInt8]) async throws -> ChunkID
    /// Stores every object (durable, as `store`) and returns their ids in order: one write for many
    /// small objects where the store can batch them.
    func storeAll(_ objects: [[UInt8]]) async throws -> [ChunkID]
}

extension TreeObjectStore {
    /// One `store` after another.
    public func storeAll(_ objects: [[UInt8]]) async throws -> [ChunkID] {
        var ids: [ChunkID] = []
        ids.reserveCapacity(objects.count)
        for bytes in objects { ids.append(try await store(bytes)) }
        return ids
    }
}

/// Failures of a `TreeObjectStore` that are not PFS rules.
public enum TreeStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The store holds no chunk with this id.
    case notFound(ChunkID)

    public var description: String {
        switch self {
        case .notFound(let id): return "tree object \(id) not found"
        }
    }
}

/// A `TreeObjectStore` in memory, for tests and for reads of open commits (as the upper layer of a
/// `LayeredTreeObjectStore`). Counts loads and stores so tests can prove that work is proportional to
/// what changed.
public final class MemoryTreeObjectStore: TreeObjectStore {
    private struct State {
        var chunks: [ChunkID: [UInt8]] = [:]
        var loads = 0
        var stores = 0
        var newStores = 0
    }

    private let state = Mutex(State())

    public init() {}

    public func load(_ id: ChunkID) async throws -> [UInt8] {
        try loadNow(id)
    }

    public func store(_ bytes: [UInt8]) async throws -> ChunkID {
        storeNow(bytes)
    }

    /// `load` without suspending.
    public func loadNow(_ id: ChunkID) throws -> [UInt8] {
        let bytes = state.withLock { state -> [UInt8]? in
            state.loads += 1
            return state.chunks[id]
        }
        guard let bytes else { throw TreeStoreError.notFound(id) }
        return bytes
    }

    /// `store` without suspending.
    @discardableResult
    public func storeNow(_ bytes: [UInt8]) -> ChunkID {
        let id = ChunkID(of: bytes)
        state.withLock { state in
            state.stores += 1
            if state.chunks.updateValue(bytes, forKey: id) == nil { state.newStores += 1 }
        }
        return id
    }

    /// Calls of `load` so far (found or not).
    public var loads: Int { state.withLock { $0.loads } }
    /// Calls of `store` so far, including ones of bytes already held.
    public var stores: Int { state.withLock { $0.stores } }
    /// Stores of bytes not held before.
    public var newStores: Int { state.withLock { $0.newStores } }
    /// Chunks held.
    public var count: Int { state.withLock { $0.chunks.count } }
    /// The ids held, sorted.
    public var ids: [ChunkID] { state.withLock { $0.chunks.keys.sorted() } }

    /// Sets the counters back to zero (the chunks stay).
    public func resetCounts() {
        state.withLock { state in
            state.loads = 0
            state.stores = 0
            state.newStores = 0
        }
    }

    /// Replaces the bytes under `id` without changing the id: for tests of corruption handling.
    public func corrupt(_ id: ChunkID, with bytes: [UInt8]) {
        state.withLock { $0.chunks[id] = bytes }
    }
}

/// Reads from `upper` first and then `lower`; stores into `upper` only. For an open commit: build its
/// tree from the parent's (in `lower`, the chunk store) plus its staged changes into a memory `upper`,
/// and read that tree, without writing anything to the chunk store.
public struct LayeredTreeObjectStore: TreeObjectStore {
    public let upper: MemoryTreeObjectStore
    public let lower: any TreeObjectStore

    public init(upper: MemoryTreeObjectStore = MemoryTreeObjectStore(), lower: any TreeObjectStore) {
        self.upper = upper
        self.lower = lower
    }

    public func load(_ id: ChunkID) async throws -> [UInt8] {
        if let bytes = try? upper.loadNow(id) { return bytes }
        return try await lower.load(id)
    }

    public func store(_ bytes: [UInt8]) async throws -> ChunkID {
        upper.storeNow(bytes)
    }
}

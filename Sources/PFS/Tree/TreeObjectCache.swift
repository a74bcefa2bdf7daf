import Replication
import Synchronization

/// Decoded directory objects (single objects, pages and indexes) by id, bounded by their encoded size.
/// Objects are immutable and named by their content, so an entry never goes stale; eviction is
/// oldest-inserted first (simple, and the top levels of busy trees are re-inserted soon after they fall
/// out). Share one per node between readers.
public final class TreeObjectCache: Sendable {
    private struct State {
        var objects: [ChunkID: (directory: StoredDirectory, bytes: Int)] = [:]
        var order: [ChunkID] = []
        var orderStart = 0
        var bytes = 0
        var hits = 0
        var misses = 0
    }

    /// The most encoded bytes kept.
    public let capacityBytes: Int
    private let state = Mutex(State())

    public init(capacityBytes: Int = 64 << 20) {
        precondition(capacityBytes >= 0, "cache capacity \(capacityBytes) must not be negative")
        self.capacityBytes = capacityBytes
    }

    /// The object named `id`, if cached.
    public func directory(_ id: ChunkID) -> StoredDirectory? {
        state.withLock { state in
            guard let object = state.objects[id]?.directory else {
                state.misses += 1
                return nil
            }
            state.hits += 1
            return object
        }
    }

    /// Keeps `object`, whose encoding is `encodedBytes` long, evicting the oldest entries to make room.
    /// An object larger than the whole capacity is not kept.
    public func insert(_ object: StoredDirectory, id: ChunkID, encodedBytes: Int) {
        guard encodedBytes <= capacityBytes else { return }
        state.withLock { state in
            guard state.objects[id] == nil else { return }
            while state.bytes + encodedBytes > capacityBytes, state.orderStart < state.order.count {
                let oldest = state.order[state.orderStart]
                state.orderStart += 1
                if let removed = state.objects.removeValue(forKey: oldest) { state.bytes -= removed.bytes }
            }
            // Compact the queue once its dead prefix dominates, so it stays proportional to the entries.
            if state.orderStart > 1024 && state.orderStart * 2 > state.order.count {
                state.order.removeFirst(state.orderStart)
                state.orderStart = 0
            }
            state.objects[id] = (object, encodedBytes)
            state.order.append(id)
            state.bytes += encodedBytes
        }
    }

    /// Lookups that found / did not find their object.
    public var counts: (hits: Int, misses: Int) { state.withLock { ($0.hits, $0.misses) } }
    /// Encoded bytes currently kept.
    public var bytes: Int { state.withLock { $0.bytes } }
}

/// What a chunk store holds, in memory: each chunk's sizes, kept in id order for paging, with running
/// totals. A value type with no I/O; `ChunkStore` keeps it behind its mutex.
///
/// Ids are SHA-256 digests, so their top 12 bits spread chunks evenly over 4096 buckets, each a sorted
/// array: lookups and inserts cost a binary search and a short move (a million chunks is ~250 a
/// bucket), and a page in id order walks buckets in order, with no global sort.
struct ChunkIndex: Sendable {
    /// One held chunk.
    struct Entry: Sendable, Equatable {
        var id: ChunkID
        var rawLength: Int
        var storedLength: Int
        /// When the chunk was last written or asked for by a writer (`has`), on the store's monotonic
        /// clock; at open, the time of opening. GC collects only chunks untouched for its grace period.
        var touchedAtNanos: UInt64 = 0
    }

    private static let bucketBits = 12
    private var buckets = [[Entry]](repeating: [], count: 1 << bucketBits)
    /// Chunks held.
    private(set) var count = 0
    /// Sum of raw (decoded) lengths.
    private(set) var rawBytes = 0
    /// Sum of stored (frame) lengths.
    private(set) var storedBytes = 0

    init() {}

    private static func bucket(of id: ChunkID) -> Int {
        Int(id.prefix64 >> UInt64(64 - bucketBits))
    }

    /// The first position in `entries` whose id is not less than `id`.
    private static func position(of id: ChunkID, in entries: [Entry]) -> Int {
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].id < id { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The entry for `id`, if held.
    func entry(for id: ChunkID) -> Entry? {
        let entries = buckets[Self.bucket(of: id)]
        let index = Self.position(of: id, in: entries)
        return index < entries.count && entries[index].id == id ? entries[index] : nil
    }

    /// Whether `id` is held.
    func contains(_ id: ChunkID) -> Bool {
        entry(for: id) != nil
    }

    /// Marks `id` as used now; returns whether it is held.
    @discardableResult
    mutating func touch(_ id: ChunkID, at nanos: UInt64) -> Bool {
        let bucket = Self.bucket(of: id)
        let index = Self.position(of: id, in: buckets[bucket])
        guard index < buckets[bucket].count && buckets[bucket][index].id == id else { return false }
        buckets[bucket][index].touchedAtNanos = max(buckets[bucket][index].touchedAtNanos, nanos)
        return true
    }

    /// Adds `entry`; returns false (changing nothing) when its id is already held.
    @discardableResult
    mutating func insert(_ entry: Entry) -> Bool {
        let bucket = Self.bucket(of: entry.id)
        let index = Self.position(of: entry.id, in: buckets[bucket])
        if index < buckets[bucket].count && buckets[bucket][index].id == entry.id { return false }
        buckets[bucket].insert(entry, at: index)
        count += 1
        rawBytes += entry.rawLength
        storedBytes += entry.storedLength
        return true
    }

    /// Removes `id`; returns its entry, or nil when it was not held.
    @discardableResult
    mutating func remove(_ id: ChunkID) -> Entry? {
        let bucket = Self.bucket(of: id)
        let index = Self.position(of: id, in: buckets[bucket])
        guard index < buckets[bucket].count && buckets[bucket][index].id == id else { return nil }
        let entry = buckets[bucket].remove(at: index)
        count -= 1
        rawBytes -= entry.rawLength
        storedBytes -= entry.storedLength
        return entry
    }

    /// Up to `limit` entries with ids greater than `after` (from the smallest when nil), in id order.
    func page(after: ChunkID?, limit: Int) -> [Entry] {
        guard limit > 0 else { return [] }
        var result: [Entry] = []
        result.reserveCapacity(min(limit, count))
        var bucket = after.map(Self.bucket(of:)) ?? 0
        var start = 0
        if let after {
            let entries = buckets[bucket]
            start = Self.position(of: after, in: entries)
            if start < entries.count && entries[start].id == after { start += 1 }
        }
        while bucket < buckets.count && result.count < limit {
            let entries = buckets[bucket]
            let end = min(entries.count, start + (limit - result.count))
            if start < end { result += entries[start..<end] }
            bucket += 1
            start = 0
        }
        return result
    }
}

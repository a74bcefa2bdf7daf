/// A cluster member as placement sees it: Raft's node id (`NodeID` there), a plain `UInt64` so this
/// module needs nothing from Raft.
public typealias MemberID = UInt64

/// Which members hold a chunk: rendezvous, or highest-random-weight, hashing (Thaler and Ravishankar,
/// "Using name-based mappings to increase hit rates", IEEE/ACM ToN 1998).
///
/// Every member gets a pseudo-random weight for each chunk; the chunk's replicas are the `count` members
/// with the highest weights, best first. Adding a member moves to it only the chunks for which it now
/// ranks in the top `count` (about `count / (N + 1)` of the copies) and removing one moves only the
/// copies it held, with no table to agree on: every node computes the same answer from the member list.
///
/// PART OF THE PLACEMENT FORMAT (changing it moves most chunks): the weight of chunk `c` on member `m` is
/// `mix(c.prefix64 ^ mix(m ^ 0x5041_4348_504C_4143))`, where `mix` is the SplitMix64 finalizer and
/// `prefix64` the first 8 id bytes read big-endian; equal weights (astronomically rare) rank the smaller
/// member id first. Integer arithmetic only, so it is the same on every platform.
public enum Placement {
    /// Salts member ids so member 0, 1, 2… do not feed the mixer small, similar values directly.
    static let memberSalt: UInt64 = 0x5041_4348_504C_4143  // "PACHPLAC"

    /// The weight of `id` on `member`; higher ranks first.
    @inline(__always)
    public static func weight(of id: ChunkID, on member: MemberID) -> UInt64 {
        SplitMix64.mix(id.prefix64 ^ SplitMix64.mix(member ^ memberSalt))
    }

    /// The `count` members that should hold `id`, best first (the order reads should try them in).
    /// Duplicate members count once; the result has `min(count, distinct members)` entries, and does
    /// not depend on the order of `members`.
    public static func replicas(for id: ChunkID, members: [MemberID], count: Int) -> [MemberID] {
        guard count > 0, !members.isEmpty else { return [] }
        var weighted = members.map { (weight: weight(of: id, on: $0), member: $0) }
        weighted.sort { $0.weight != $1.weight ? $0.weight > $1.weight : $0.member < $1.member }
        var result: [MemberID] = []
        result.reserveCapacity(min(count, weighted.count))
        for entry in weighted where result.last != entry.member {
            // Sorted by weight, then member: duplicates of a member (same weight) are adjacent.
            result.append(entry.member)
            if result.count == count { break }
        }
        return result
    }

    /// Every member in rendezvous order for `id`: `replicas(for:members:count:)` with no limit.
    public static func ranking(for id: ChunkID, members: [MemberID]) -> [MemberID] {
        replicas(for: id, members: members, count: members.count)
    }
}

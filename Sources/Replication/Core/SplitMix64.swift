/// SplitMix64 (Steele, Lea and Flood, 2014): the module's only source of pseudo-randomness, seeded, so
/// the gear table is the same on every platform forever and tests replay from a printed seed.
///
/// Not for anything secret. The same algorithm as Raft's `SeededGenerator`, repeated here because
/// Replication does not depend on Raft.
struct SplitMix64: RandomNumberGenerator, Sendable, Equatable {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    /// The SplitMix64 finalizer: a bijection on 64-bit values in which every input bit affects every
    /// output bit with probability close to 1/2. Placement weights are built from it.
    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

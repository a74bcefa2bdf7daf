/// The gear table and cut masks of content-defined chunking. PART OF THE STORAGE FORMAT: where data is
/// cut decides chunk ids, so changing anything here makes new writes stop deduplicating against
/// everything already stored. `ChunkerTests` pins the table and a set of boundaries to catch that.
///
/// Both come from one SplitMix64 stream seeded with `seed` ("PACHCDC1" as big-endian ASCII):
/// - the first 256 outputs are the gear values, in byte order;
/// - the next 47 drive a Fisher–Yates shuffle (`j = next() % (i + 1)` for `i` from 47 down to 1, written
///   out here rather than the standard library's `shuffle`, whose algorithm is not promised to stay) of
///   the bit positions 16...63, and a mask of `k` bits is the first `k` positions of that order.
///
/// Masks are nested (a smaller mask's bits are a subset of a larger one's) and use only bits 16...63:
/// with `hash = hash << 1 + gear[byte]`, bit `b` depends on the last `b + 1` bytes only, so low bits would
/// cut on a handful of bytes of context. Spreading the bits (rather than taking the top `k`) keeps
/// neighbouring positions' tests nearly independent, as in FastCDC.
enum GearTable {
    /// The seed of the table and the mask order.
    static let seed: UInt64 = 0x5041_4348_4344_4331

    /// The 256 gear values.
    static let values: [UInt64] = {
        var generator = SplitMix64(seed: seed)
        return (0..<256).map { _ in generator.next() }
    }()

    /// Bit positions 16...63 in mask order.
    static let maskPositions: [Int] = {
        var generator = SplitMix64(seed: seed)
        for _ in 0..<256 { _ = generator.next() }
        var positions = Array(16...63)
        for i in stride(from: positions.count - 1, through: 1, by: -1) {
            let j = Int(generator.next() % UInt64(i + 1))
            positions.swapAt(i, j)
        }
        return positions
    }()

    /// A mask of `bits` bits (1...48): a cut point is where `hash & mask == 0`, probability 2^-bits.
    static func mask(bits: Int) -> UInt64 {
        precondition((1...maskPositions.count).contains(bits), "mask of \(bits) bits is out of range")
        return maskPositions.prefix(bits).reduce(UInt64(0)) { $0 | (1 << UInt64($1)) }
    }
}

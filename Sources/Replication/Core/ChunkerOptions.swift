/// The sizes a `Chunker` cuts to, validated, with the two gear masks derived from them.
///
/// The average is a target: the cut probability is low before `averageBytes` and high after it
/// (FastCDC's normalized chunking), so sizes bunch around it. With the standard sizes (256 KiB min,
/// 1 MiB average, 4 MiB max, normalization 2) random data gives chunks of about 1.1 MiB on average.
///
/// Changing any of these values changes where data is cut, so already stored files would not dedup
/// against new writes of the same bytes; they are part of a cluster's configuration, not a tunable.
public struct ChunkerOptions: Sendable, Equatable, CustomStringConvertible {
    /// No chunk but a stream's last is shorter than this (the hash does not even look before it).
    public let minBytes: Int
    /// The target average; the point where the mask switches from hard to easy.
    public let averageBytes: Int
    /// No chunk is longer than this; a chunker never buffers more.
    public let maxBytes: Int
    /// FastCDC's normalization level: how many mask bits are added before the average and removed after
    /// it. 0 is plain gear chunking (an exponential size spread); 2 is the paper's recommendation.
    public let normalization: Int

    /// The largest `maxBytes` accepted: frames record lengths in 32 bits, and a chunk is held in memory
    /// whole several times over (raw, compressed, in flight).
    public static let maxBytesLimit = 64 << 20

    /// 256 KiB min, 1 MiB average, 4 MiB max, normalization 2: the cluster default (DESIGN.md, Data path).
    public static let standard = ChunkerOptions(
        validated: 256 << 10, averageBytes: 1 << 20, maxBytes: 4 << 20, normalization: 2)

    /// Mask used for cut points before `averageBytes` (more bits: cutting is rarer).
    let maskSmall: UInt64
    /// Mask used from `averageBytes` on (fewer bits: cutting is likelier).
    let maskLarge: UInt64

    /// Validated options.
    ///
    /// - Throws: `.invalidOptions` unless 64 ≤ min < average < max ≤ `maxBytesLimit` and the
    ///   normalization is 0...4 with at least one mask bit left after the average.
    public init(minBytes: Int, averageBytes: Int, maxBytes: Int, normalization: Int = 2) throws(ReplicationError) {
        // The gear hash only depends on the last 64 bytes; a shorter minimum would cut on too little context.
        guard minBytes >= 64 else { throw .invalidOptions("chunker minBytes \(minBytes) must be at least 64") }
        guard minBytes < averageBytes else {
            throw .invalidOptions("chunker minBytes \(minBytes) must be less than averageBytes \(averageBytes)")
        }
        guard averageBytes < maxBytes else {
            throw .invalidOptions("chunker averageBytes \(averageBytes) must be less than maxBytes \(maxBytes)")
        }
        guard maxBytes <= Self.maxBytesLimit else {
            throw .invalidOptions("chunker maxBytes \(maxBytes) exceeds the limit of \(Self.maxBytesLimit)")
        }
        guard (0...4).contains(normalization) else {
            throw .invalidOptions("chunker normalization \(normalization) must be between 0 and 4")
        }
        guard Self.maskBits(for: averageBytes) - normalization >= 1 else {
            throw .invalidOptions("chunker averageBytes \(averageBytes) is too small for normalization \(normalization)")
        }
        self.init(validated: minBytes, averageBytes: averageBytes, maxBytes: maxBytes, normalization: normalization)
    }

    private init(validated minBytes: Int, averageBytes: Int, maxBytes: Int, normalization: Int) {
        self.minBytes = minBytes
        self.averageBytes = averageBytes
        self.maxBytes = maxBytes
        self.normalization = normalization
        let bits = Self.maskBits(for: averageBytes)
        maskSmall = GearTable.mask(bits: bits + normalization)
        maskLarge = GearTable.mask(bits: bits - normalization)
    }

    /// log2 of `averageBytes`, rounded to the nearest integer, in integer arithmetic (no floating point in
    /// anything that decides the storage format): 1 MiB → 20, 1.4 MiB → 20, 1.6 MiB → 21.
    static func maskBits(for averageBytes: Int) -> Int {
        let floor = Int.bitWidth - 1 - averageBytes.leadingZeroBitCount
        // Round up when average > 2^floor · √2, i.e. average² > 2^(2·floor + 1).
        let square = averageBytes.multipliedFullWidth(by: averageBytes)
        let threshold = 2 * floor + 1
        let above: Bool
        if threshold >= 64 {
            above = square.high >> (threshold - 64) > 0
        } else {
            above = square.high > 0 || square.low >> UInt(threshold) > 0
        }
        return above ? floor + 1 : floor
    }

    public var description: String {
        "min \(minBytes) B, average \(averageBytes) B, max \(maxBytes) B, normalization \(normalization)"
    }
}

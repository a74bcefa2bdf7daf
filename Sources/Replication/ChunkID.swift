import Crypto

/// The name of a chunk: the SHA-256 of its raw (uncompressed) bytes. Equal bytes have equal ids on
/// every node, which is what deduplication and verification rest on.
///
/// Stored inline as four 64-bit words (the digest read big-endian, 8 bytes at a time), so an id costs
/// no allocation, hashes and compares cheaply, and orders exactly like its bytes (and its hex) do.
public struct ChunkID: Sendable, Hashable, Comparable, CustomStringConvertible {
    @usableFromInline let word0: UInt64
    @usableFromInline let word1: UInt64
    @usableFromInline let word2: UInt64
    @usableFromInline let word3: UInt64

    /// The id of `data`.
    public init(of data: [UInt8]) {
        self = data.withUnsafeBytes { ChunkID(of: $0) }
    }

    /// The id of the bytes in `buffer`.
    public init(of buffer: UnsafeRawBufferPointer) {
        var hasher = SHA256()
        hasher.update(bufferPointer: buffer)
        let digest = hasher.finalize()
        self = digest.withUnsafeBytes { ChunkID(digest: $0) }
    }

    /// An id from its 32 digest bytes; nil for any other length.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        self = bytes.withUnsafeBytes { ChunkID(digest: $0) }
    }

    /// An id from exactly 32 bytes at the start of `digest` (the caller checked the length).
    init(digest: UnsafeRawBufferPointer) {
        precondition(digest.count >= 32, "a chunk id needs 32 bytes, got \(digest.count)")
        word0 = UInt64(bigEndian: digest.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        word1 = UInt64(bigEndian: digest.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        word2 = UInt64(bigEndian: digest.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
        word3 = UInt64(bigEndian: digest.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
    }

    /// An id from 64 lowercase or uppercase hex digits; nil for anything else.
    public init?<S: StringProtocol>(hex: S) {
        var words: [UInt64] = []
        words.reserveCapacity(4)
        var word: UInt64 = 0
        var count = 0
        for digit in hex.utf8 {
            guard count < 64, let value = Self.nibble(digit) else { return nil }
            word = word << 4 | UInt64(value)
            count += 1
            if count % 16 == 0 {
                words.append(word)
                word = 0
            }
        }
        guard count == 64 else { return nil }
        (word0, word1, word2, word3) = (words[0], words[1], words[2], words[3])
    }

    /// The 32 digest bytes.
    public var bytes: [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(32)
        for word in [word0, word1, word2, word3] {
            for shift in stride(from: 56, through: 0, by: -8) { result.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
        return result
    }

    /// The first 8 digest bytes read big-endian: uniformly distributed, so placement and the store's index
    /// use them as a ready-made hash. Part of the placement format; see `Placement`.
    public var prefix64: UInt64 { word0 }

    /// Writes the 32 digest bytes to `destination`, which MUST have room for them.
    func write(to destination: UnsafeMutableRawPointer) {
        for (index, word) in [word0, word1, word2, word3].enumerated() {
            destination.storeBytes(of: word.bigEndian, toByteOffset: 8 * index, as: UInt64.self)
        }
    }

    /// 64 lowercase hex digits.
    public var hex: String {
        String(unsafeUninitializedCapacity: 64) { buffer in
            let digits: StaticString = "0123456789abcdef"
            var offset = 0
            for word in [word0, word1, word2, word3] {
                for shift in stride(from: 60, through: 0, by: -4) {
                    buffer[offset] = digits.utf8Start[Int((word >> UInt64(shift)) & 0xF)]
                    offset += 1
                }
            }
            return 64
        }
    }

    public var description: String { hex }

    public static func < (lhs: ChunkID, rhs: ChunkID) -> Bool {
        (lhs.word0, lhs.word1, lhs.word2, lhs.word3) < (rhs.word0, rhs.word1, rhs.word2, rhs.word3)
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return digit - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

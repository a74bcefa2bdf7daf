/// The id of a commit: 128 bits written as 32 lowercase hexadecimal digits (a UUID without dashes, as in
/// Pachyderm). Ids are unique cluster-wide, not per repo. The proposer chooses them (`random(using:)`)
/// because the state machine may not draw randomness.
public struct CommitID: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The first 64 bits.
    public let high: UInt64
    /// The last 64 bits.
    public let low: UInt64

    /// The length of the text form.
    public static let textLength = 32

    /// The id with these 128 bits.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Parses 32 lowercase hexadecimal digits; throws `PFSError.invalidName` otherwise.
    public init(_ text: String) throws(PFSError) {
        guard let parsed = CommitID(parsing: text) else {
            throw .invalidName(kind: "commit id", name: text,
                               why: "a commit id is exactly \(Self.textLength) lowercase hexadecimal digits")
        }
        self = parsed
    }

    /// Parses 32 lowercase hexadecimal digits, or returns nil. Uppercase is refused so that one id has one
    /// spelling (ids are compared and listed as text by users and scripts).
    init?(parsing text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == Self.textLength else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (position, byte) in bytes.enumerated() {
            guard let nibble = Self.nibble(byte) else { return nil }
            if position < 16 { high = high << 4 | nibble } else { low = low << 4 | nibble }
        }
        self.init(high: high, low: low)
    }

    /// A fresh id from `generator`: for the proposer (a seeded generator in tests), never inside `apply`.
    public static func random<G: RandomNumberGenerator>(using generator: inout G) -> CommitID {
        CommitID(high: generator.next(), low: generator.next())
    }

    public var description: String { Self.hex(high) + Self.hex(low) }

    public static func < (lhs: CommitID, rhs: CommitID) -> Bool {
        // Same order as the text form, so sorted ids list the way users see them.
        lhs.high != rhs.high ? lhs.high < rhs.high : lhs.low < rhs.low
    }

    private static func nibble(_ byte: UInt8) -> UInt64? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt64(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt64(byte - UInt8(ascii: "a") + 10)
        default: return nil
        }
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

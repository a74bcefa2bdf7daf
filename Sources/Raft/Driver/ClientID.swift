/// Identifies a client session for exactly-once proposals (Raft dissertation §6.3).
///
/// 128 bits so that a client can pick its own id at random without asking the cluster. `ClientID.none`
/// (zero) opts out: its proposals are applied every time they are committed, retries included.
public struct ClientID: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The upper 64 bits.
    public var high: UInt64
    /// The lower 64 bits; small ids fit here alone.
    public var low: UInt64

    /// The id made of `high` and `low`.
    public init(high: UInt64 = 0, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The id that disables session tracking.
    public static let none = ClientID(high: 0, low: 0)

    /// True for `ClientID.none`.
    public var isNone: Bool { high == 0 && low == 0 }

    /// Orders by `high`, then `low` (the session table encodes clients in this order).
    public static func < (lhs: ClientID, rhs: ClientID) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }

    /// `client-<low>` for small ids, else both halves in hex.
    public var description: String {
        high == 0 ? "client-\(low)" : "client-\(String(high, radix: 16))-\(String(low, radix: 16))"
    }
}

extension ByteWriter {
    /// Low half first, then high half, each little-endian.
    mutating func append(_ client: ClientID) {
        append(client.low)
        append(client.high)
    }
}

extension ByteReader {
    mutating func readClientID() throws(StorageFormatError) -> ClientID {
        let low = try readUInt64()
        let high = try readUInt64()
        return ClientID(high: high, low: low)
    }
}

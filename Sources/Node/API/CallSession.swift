import GRPCCore
import Raft

/// The Raft client session (`ClientID`, sequence) a write is proposed under.
///
/// A client that wants exactly-once across retries (pachctl does) sends `x-pach-client-id` (32 hex
/// digits, not all zero) and `x-pach-sequence` (a decimal number from 1, increasing per call). A retry
/// with the same pair, on any node, is applied at most once: the Raft session table answers it from its
/// cache. A call without them gets a fresh random client with sequence 1, so a proposal is still
/// applied once even when the Raft layer re-sends it internally.
struct CallSession: Sendable, Equatable {
    /// The metadata key of the client id.
    static let clientIDKey = "x-pach-client-id"
    /// The metadata key of the sequence number.
    static let sequenceKey = "x-pach-sequence"

    /// The Raft client.
    var client: ClientID
    /// The call's sequence number within the client's session.
    var sequence: UInt64

    /// The session the caller named in `metadata`, or a fresh one when it named none. Throws
    /// INVALID_ARGUMENT for a malformed or half-given pair, before anything is proposed.
    init(metadata: Metadata) throws(RPCError) {
        let idText = Self.single(metadata, Self.clientIDKey)
        let sequenceText = Self.single(metadata, Self.sequenceKey)
        switch (idText, sequenceText) {
        case (nil, nil):
            var generator = SystemRandomNumberGenerator()
            self = Self.fresh(using: &generator)
        case (let idText?, let sequenceText?):
            self.client = try Self.parseClientID(idText)
            self.sequence = try Self.parseSequence(sequenceText)
        default:
            throw RPCError(code: .invalidArgument,
                           message: "\(Self.clientIDKey) and \(Self.sequenceKey) must be sent together")
        }
    }

    /// A session with the given parts.
    init(client: ClientID, sequence: UInt64) {
        self.client = client
        self.sequence = sequence
    }

    /// A random client (never `ClientID.none`, which would disable deduplication) at sequence 1.
    static func fresh<G: RandomNumberGenerator>(using generator: inout G) -> CallSession {
        var client = ClientID(high: generator.next(), low: generator.next())
        if client.isNone { client.low = 1 }
        return CallSession(client: client, sequence: 1)
    }

    /// The first value of `key`; nil when absent.
    private static func single(_ metadata: Metadata, _ key: String) -> String? {
        metadata[stringValues: key].first { _ in true }
    }

    /// 32 hexadecimal digits (either case), high half first; zero is refused.
    static func parseClientID(_ text: String) throws(RPCError) -> ClientID {
        let invalid = RPCError(code: .invalidArgument,
                               message: "\(clientIDKey) must be 32 hexadecimal digits, not all zero")
        let digits = Array(text.utf8)
        guard digits.count == 32, digits.allSatisfy({ Unicode.Scalar($0).properties.isASCIIHexDigit }),
              let high = UInt64(String(decoding: digits[0..<16], as: UTF8.self), radix: 16),
              let low = UInt64(String(decoding: digits[16..<32], as: UTF8.self), radix: 16)
        else { throw invalid }
        let client = ClientID(high: high, low: low)
        if client.isNone { throw invalid }
        return client
    }

    /// A decimal number from 1.
    static func parseSequence(_ text: String) throws(RPCError) -> UInt64 {
        guard text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let value = UInt64(text), value >= 1
        else {
            throw RPCError(code: .invalidArgument, message: "\(sequenceKey) must be a decimal number from 1")
        }
        return value
    }
}

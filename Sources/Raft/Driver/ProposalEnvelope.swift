/// What the driver wraps around the data of every `.normal` entry it proposes:
///
///     u8  version (1)
///     16 bytes client id (low u64, high u64)
///     u64 sequence number
///     u64 origin node: the node whose caller waits for the result
///     u64 request id: unique on the origin node (across restarts, see `RaftNode`)
///     the caller's data, to the end
///
/// All integers little-endian. The state machine sees only the caller's data.
struct ProposalEnvelope: Sendable, Equatable {
    static let formatVersion: UInt8 = 1
    static let headerBytes = 1 + 16 + 8 + 8 + 8

    var client: ClientID
    var sequence: UInt64
    var origin: NodeID
    var requestID: UInt64
    var payload: [UInt8]

    var encoded: [UInt8] {
        var writer = ByteWriter(capacity: Self.headerBytes + payload.count)
        writer.append(Self.formatVersion)
        writer.append(client)
        writer.append(sequence)
        writer.append(origin)
        writer.append(requestID)
        writer.append(contentsOf: payload)
        return writer.bytes
    }

    init(client: ClientID, sequence: UInt64, origin: NodeID, requestID: UInt64, payload: [UInt8]) {
        self.client = client
        self.sequence = sequence
        self.origin = origin
        self.requestID = requestID
        self.payload = payload
    }

    /// Decodes `encoded`; throws `corruptStorage` for entries this driver did not write.
    init(decoding bytes: [UInt8]) throws(RaftError) {
        do {
            var reader = ByteReader(bytes)
            let version = try reader.readUInt8()
            guard version == Self.formatVersion else { throw StorageFormatError("unknown version \(version)") }
            client = try reader.readClientID()
            sequence = try reader.readUInt64()
            origin = try reader.readUInt64()
            requestID = try reader.readUInt64()
            payload = reader.readRest()
        } catch {
            throw .corruptStorage("proposal envelope: \(error)")
        }
    }
}

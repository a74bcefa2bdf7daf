/// The session table's byte format, carried inside every snapshot the driver takes:
///
///     u8  version (1)
///     u32 session count
///     per session, in ascending client order (so equal tables give equal bytes):
///         16 bytes client id (low u64, high u64), u64 sequence, u64 last active index,
///         u8 1 + u32 length + result bytes, or u8 0 when the result is unknown
///
/// All integers little-endian.
extension ClientSessions {
    static let formatVersion: UInt8 = 1

    /// The table as bytes (see the format above).
    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: 5 + sessions.count * 48)
        writer.append(Self.formatVersion)
        writer.append(UInt32(sessions.count))
        for client in sessions.keys.sorted() {
            let session = sessions[client]!
            writer.append(client)
            writer.append(session.sequence)
            writer.append(session.lastActiveIndex)
            if let result = session.result {
                writer.append(UInt8(1))
                writer.appendLengthPrefixed(result)
            } else {
                writer.append(UInt8(0))
            }
        }
        return writer.bytes
    }

    /// Decodes `encoded()`, applying this node's limits. Throws `corruptStorage` for anything else.
    public init(decoding bytes: [UInt8], idleEntries: UInt64, maxSessions: Int) throws(RaftError) {
        let sessions: [ClientID: Session]
        do {
            sessions = try Self.decodeSessions(bytes)
        } catch {
            throw .corruptStorage("client session table: \(error)")
        }
        self.init(sessions: sessions, idleEntries: idleEntries, maxSessions: maxSessions)
    }

    private static func decodeSessions(_ bytes: [UInt8]) throws(StorageFormatError) -> [ClientID: Session] {
        var reader = ByteReader(bytes)
        let version = try reader.readUInt8()
        guard version == formatVersion else { throw StorageFormatError("unknown version \(version)") }
        let count = try reader.readUInt32()
        var sessions: [ClientID: Session] = [:]
        for _ in 0..<count {
            let client = try reader.readClientID()
            let sequence = try reader.readUInt64()
            let lastActive = try reader.readUInt64()
            let result: [UInt8]? = try reader.readUInt8() == 1 ? reader.readLengthPrefixed() : nil
            sessions[client] = Session(sequence: sequence, result: result, lastActiveIndex: lastActive)
        }
        guard reader.remaining == 0 else { throw StorageFormatError("\(reader.remaining) trailing bytes") }
        return sessions
    }
}

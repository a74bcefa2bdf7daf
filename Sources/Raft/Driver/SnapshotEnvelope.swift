/// The bytes of every snapshot the driver stores or sends: the client-session table next to the state
/// machine's own image, so that a node restored from it answers retries exactly as the others do.
///
///     u8  version (1)
///     u32 length + the session table (`ClientSessions.encoded()`)
///     the state machine's snapshot data, to the end
///
/// All integers little-endian.
struct SnapshotEnvelope: Sendable, Equatable {
    static let formatVersion: UInt8 = 1

    var sessions: [UInt8]
    var stateMachineData: [UInt8]

    init(sessions: [UInt8], stateMachineData: [UInt8]) {
        self.sessions = sessions
        self.stateMachineData = stateMachineData
    }

    var encoded: [UInt8] {
        var writer = ByteWriter(capacity: 5 + sessions.count + stateMachineData.count)
        writer.append(Self.formatVersion)
        writer.appendLengthPrefixed(sessions)
        writer.append(contentsOf: stateMachineData)
        return writer.bytes
    }

    init(decoding bytes: [UInt8]) throws(RaftError) {
        do {
            var reader = ByteReader(bytes)
            let version = try reader.readUInt8()
            guard version == Self.formatVersion else { throw StorageFormatError("unknown version \(version)") }
            sessions = try reader.readLengthPrefixed()
            stateMachineData = reader.readRest()
        } catch {
            throw .corruptStorage("snapshot envelope: \(error)")
        }
    }
}

/// The bytes of one snapshot file.
///
/// Layout, little-endian:
/// ```
/// magic u32 "RSNP" | crc32c of every byte after this field u32 | format version u32 (1)
/// index u64 | term u64 | voter count u32 | voters u64… | learner count u32 | learners u64… (ascending)
/// data length u64 | data
/// ```
/// One checksum over everything: a snapshot is read whole, and any damage makes it unusable.
enum SnapshotFile {
    static let magic: UInt32 = 0x504E_5352  // "RSNP" read as little-endian bytes
    static let version: UInt32 = 1

    /// The file contents for `snapshot`.
    static func encode(_ snapshot: Snapshot) -> [UInt8] {
        let configuration = snapshot.metadata.configuration
        let memberCount = configuration.voters.count + configuration.learners.count
        var writer = ByteWriter(capacity: 44 + 8 * memberCount + snapshot.data.count)
        writer.append(magic)
        writer.append(UInt32(0))
        writer.append(version)
        writer.append(snapshot.metadata.index)
        writer.append(snapshot.metadata.term)
        for members in [configuration.voters, configuration.learners] {
            writer.append(UInt32(members.count))
            for member in members.sorted() { writer.append(member) }
        }
        writer.append(UInt64(snapshot.data.count))
        writer.append(contentsOf: snapshot.data)
        writer.overwrite(CRC32C.checksum(writer.bytes[8...]), at: 4)
        return writer.bytes
    }

    /// The snapshot in `bytes`, after checking magic, version and checksum.
    static func decode(_ bytes: [UInt8]) throws(StorageFormatError) -> Snapshot {
        var reader = ByteReader(bytes, range: 0..<bytes.count)
        let fileMagic = try reader.readUInt32()
        guard fileMagic == magic else { throw StorageFormatError("not a snapshot file (magic \(fileMagic))") }
        let stored = try reader.readUInt32()
        let actual = CRC32C.checksum(bytes[8...])
        guard stored == actual else {
            throw StorageFormatError("checksum mismatch (stored \(stored), computed \(actual))")
        }
        let fileVersion = try reader.readUInt32()
        guard fileVersion == version else { throw StorageFormatError("unknown format version \(fileVersion)") }
        let index = try reader.readUInt64()
        let term = try reader.readUInt64()
        let voters = try readMembers(&reader)
        let learners = try readMembers(&reader)
        let dataLength = try reader.readUInt64()
        guard dataLength == UInt64(reader.remaining) else {
            throw StorageFormatError("data length \(dataLength) but \(reader.remaining) bytes follow")
        }
        let metadata = SnapshotMetadata(
            index: index, term: term, configuration: Configuration(voters: voters, learners: learners))
        return Snapshot(metadata: metadata, data: try reader.readBytes(count: reader.remaining))
    }

    private static func readMembers(_ reader: inout ByteReader) throws(StorageFormatError) -> Set<NodeID> {
        let count = try reader.readUInt32()
        guard Int(count) <= reader.remaining / 8 else {
            throw StorageFormatError("member count \(count) runs past the end")
        }
        var members = Set<NodeID>()
        for _ in 0..<count { members.insert(try reader.readUInt64()) }
        return members
    }
}

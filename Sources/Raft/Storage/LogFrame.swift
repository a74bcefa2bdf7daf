/// The on-disk unit of the log: one `persist` batch, written with one write() and made durable with one
/// sync, so a crash leaves each batch either whole or detectably torn.
///
/// Layout, little-endian:
/// ```
/// header  magic u32 "RLOG" | payload length u32 | crc32c(payload) u32 | crc32c(header bytes 0..<12) u32
/// payload records, each a tag byte then its fields:
///   1 snapshot marker  index u64, term u64          (the log restarts after this snapshot)
///   2 entry            term u64, index u64, kind u8, data length u32, data
///   3 hard state       term u64, vote u64, commit u64
/// ```
/// The header has its own checksum so a damaged length is never trusted to find the next frame.
enum LogFrame {
    static let magic: UInt32 = 0x474F_4C52  // "RLOG" read as little-endian bytes
    static let headerSize = 16

    private enum Tag: UInt8 {
        case snapshotMarker = 1
        case entry = 2
        case hardState = 3
    }

    /// The frame for one batch: the marker first (it resets the log), then entries, then the hard state.
    static func encode(hardState: HardState?, entries: [Entry], marker: SnapshotMarker?) throws(RaftError) -> [UInt8] {
        let entryBytes = entries.reduce(0) { $0 + 22 + $1.data.count }
        var writer = ByteWriter(capacity: headerSize + 17 + 25 + entryBytes)
        for _ in 0..<4 { writer.append(UInt32(0)) }
        if let marker {
            writer.append(Tag.snapshotMarker.rawValue)
            writer.append(marker.index)
            writer.append(marker.term)
        }
        for entry in entries {
            guard entry.data.count <= UInt32.max else {
                throw .storage("entry \(entry.index) has \(entry.data.count) bytes, more than a frame can hold")
            }
            writer.append(Tag.entry.rawValue)
            writer.append(entry.term)
            writer.append(entry.index)
            writer.append(entry.kind.rawValue)
            writer.append(UInt32(entry.data.count))
            writer.append(contentsOf: entry.data)
        }
        if let hardState {
            writer.append(Tag.hardState.rawValue)
            writer.append(hardState.term)
            writer.append(hardState.vote)
            writer.append(hardState.commit)
        }
        let payloadLength = writer.count - headerSize
        guard payloadLength <= UInt32.max else {
            throw .storage("a batch of \(payloadLength) bytes is more than a frame can hold; persist smaller batches")
        }
        writer.overwrite(magic, at: 0)
        writer.overwrite(UInt32(payloadLength), at: 4)
        writer.overwrite(CRC32C.checksum(writer.bytes[headerSize...]), at: 8)
        writer.overwrite(CRC32C.checksum(writer.bytes[..<12]), at: 12)
        return writer.bytes
    }

    /// Reads the frame header at `offset` and checks both checksums.
    static func scan(_ bytes: [UInt8], at offset: Int) -> FrameScan {
        guard bytes.count - offset >= headerSize else { return .damaged(.incompleteHeader) }
        guard hasIntactHeader(bytes, at: offset) else { return .damaged(.badHeader) }
        var reader = ByteReader(bytes, range: offset + 4..<offset + 12)
        // The range holds exactly these 8 bytes, so the reads cannot fail.
        let length = Int((try? reader.readUInt32()) ?? 0)
        let payloadCRC = (try? reader.readUInt32()) ?? 0
        let end = offset + headerSize + length
        guard end <= bytes.count else { return .damaged(.pastEnd(end: end)) }
        guard CRC32C.checksum(bytes[offset + headerSize..<end]) == payloadCRC else {
            return .damaged(.badPayload(end: end))
        }
        return .intact(payload: offset + headerSize..<end, end: end)
    }

    /// The records of an intact frame's payload, in order.
    static func decode(_ bytes: [UInt8], payload: Range<Int>) throws(StorageFormatError) -> [LogRecord] {
        var reader = ByteReader(bytes, range: payload)
        var records: [LogRecord] = []
        while reader.remaining > 0 {
            let tagByte = try reader.readUInt8()
            switch Tag(rawValue: tagByte) {
            case .snapshotMarker:
                records.append(.snapshotMarker(SnapshotMarker(index: try reader.readUInt64(), term: try reader.readUInt64())))
            case .entry:
                records.append(.entry(try decodeEntry(&reader)))
            case .hardState:
                let hardState = HardState(term: try reader.readUInt64(), vote: try reader.readUInt64(),
                                          commit: try reader.readUInt64())
                records.append(.hardState(hardState))
            case nil:
                throw StorageFormatError("unknown record tag \(tagByte)")
            }
        }
        return records
    }

    private static func decodeEntry(_ reader: inout ByteReader) throws(StorageFormatError) -> Entry {
        let term = try reader.readUInt64()
        let index = try reader.readUInt64()
        let kindByte = try reader.readUInt8()
        guard let kind = EntryKind(rawValue: kindByte) else {
            throw StorageFormatError("entry \(index) has unknown kind \(kindByte)")
        }
        let count = try reader.readUInt32()
        return Entry(term: term, index: index, kind: kind, data: try reader.readBytes(count: Int(count)))
    }

    /// Whether a crash while appending explains the damage at `offset`, which is then cut off. Anything
    /// else is corruption of synced data, and serving it would be worse than refusing to start.
    ///
    /// One batch is one write at the end of the file, synced before the next, so only the last frame can
    /// be torn: it may lack bytes (a short header, a length past the end), hold garbage where sectors
    /// did not land (a payload checksum failing on a frame that ends the file), or be followed by zeros
    /// the file system exposed after the crash. A bad header is torn only if no intact header follows.
    static func isTornTail(_ bytes: [UInt8], at offset: Int, damage: FrameDamage) -> Bool {
        if isZero(bytes[offset...]) { return true }
        switch damage {
        case .incompleteHeader, .pastEnd:
            return true
        case .badPayload(let end):
            return isZero(bytes[end...])
        case .badHeader:
            return !(offset + 1..<max(offset + 1, bytes.count - headerSize + 1)).contains {
                hasIntactHeader(bytes, at: $0)
            }
        }
    }

    private static func hasIntactHeader(_ bytes: [UInt8], at offset: Int) -> Bool {
        guard bytes.count - offset >= headerSize else { return false }
        return bytes.withUnsafeBytes { raw in
            guard UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) == magic else {
                return false
            }
            let stored = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
            var crc = CRC32C()
            crc.update(UnsafeRawBufferPointer(rebasing: raw[offset..<offset + 12]))
            return crc.value == stored
        }
    }

    private static func isZero(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.allSatisfy { $0 == 0 }
    }
}

/// What a frame says about the log.
enum LogRecord: Equatable {
    /// The log restarts after this snapshot (one received from the leader).
    case snapshotMarker(SnapshotMarker)
    /// A log entry; one at or below the last index replaces the suffix from there.
    case entry(Entry)
    /// The hard state; the last one wins.
    case hardState(HardState)
}

/// The position of a snapshot the log restarts after.
struct SnapshotMarker: Equatable, Sendable {
    var index: UInt64
    var term: UInt64
}

/// The outcome of reading one frame header.
enum FrameScan: Equatable {
    /// Both checksums match; the next frame starts at `end`.
    case intact(payload: Range<Int>, end: Int)
    /// The frame at this offset cannot be used.
    case damaged(FrameDamage)
}

/// Why a frame cannot be used.
enum FrameDamage: Equatable, CustomStringConvertible {
    /// Fewer than 16 bytes remain.
    case incompleteHeader
    /// The magic number or the header checksum is wrong.
    case badHeader
    /// The payload length runs past the end of the file.
    case pastEnd(end: Int)
    /// The payload checksum is wrong; the frame would end at `end`.
    case badPayload(end: Int)

    var description: String {
        switch self {
        case .incompleteHeader: return "incomplete frame header"
        case .badHeader: return "bad frame header (magic or header checksum)"
        case .pastEnd(let end): return "frame length runs past the end of the file (to byte \(end))"
        case .badPayload(let end): return "payload checksum mismatch (frame ends at byte \(end))"
        }
    }
}

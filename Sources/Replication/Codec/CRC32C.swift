/// CRC-32C (Castagnoli; reflected polynomial 0x82F63B78), the checksum of a frame header.
///
/// The same algorithm and table layout as Raft's `CRC32C`, repeated (internal) because Replication does
/// not depend on Raft. Computed slicing-by-8: one step consumes 8 bytes with 8 independent table lookups.
struct CRC32C: Sendable, Equatable {
    /// Pre-inverted, as the algorithm requires; `value` inverts it back.
    private var state: UInt32 = 0xFFFF_FFFF

    init() {}

    /// The checksum of everything passed to `update` so far.
    var value: UInt32 { ~state }

    /// Extends the checksum with `buffer`; updating with A then B equals updating with A + B.
    mutating func update(_ buffer: UnsafeRawBufferPointer) {
        var crc = state
        var offset = 0
        let count = buffer.count
        crc32cTable.withUnsafeBufferPointer { table in
            // Indices are masked to 8 bits plus a slice offset below 8 · 256: always in bounds.
            let t = table.baseAddress!
            while count - offset >= 8 {
                let low = crc ^ UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
                let high = UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self))
                crc = t[7 * 256 + Int(low & 0xFF)] ^ t[6 * 256 + Int((low >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((low >> 16) & 0xFF)] ^ t[4 * 256 + Int(low >> 24)]
                    ^ t[3 * 256 + Int(high & 0xFF)] ^ t[2 * 256 + Int((high >> 8) & 0xFF)]
                    ^ t[1 * 256 + Int((high >> 16) & 0xFF)] ^ t[Int(high >> 24)]
                offset += 8
            }
            while offset < count {
                crc = t[Int((crc ^ UInt32(buffer[offset])) & 0xFF)] ^ (crc >> 8)
                offset += 1
            }
        }
        state = crc
    }

    /// The checksum of `buffer` alone.
    static func checksum(_ buffer: UnsafeRawBufferPointer) -> UInt32 {
        var crc = CRC32C()
        crc.update(buffer)
        return crc.value
    }

    /// The checksum of `bytes` alone.
    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }
}

/// Eight 256-entry tables, flattened: table k maps a byte to its CRC contribution when k more bytes
/// follow it in the same 8-byte step.
private let crc32cTable: [UInt32] = {
    var table = [UInt32](repeating: 0, count: 8 * 256)
    for byte in 0..<256 {
        var crc = UInt32(byte)
        for _ in 0..<8 {
            crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1
        }
        table[byte] = crc
    }
    for slice in 1..<8 {
        for byte in 0..<256 {
            let previous = table[(slice - 1) * 256 + byte]
            table[slice * 256 + byte] = (previous >> 8) ^ table[Int(previous & 0xFF)]
        }
    }
    return table
}()

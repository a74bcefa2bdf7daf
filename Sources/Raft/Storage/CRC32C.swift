/// CRC-32C (Castagnoli; reflected polynomial 0x82F63B78), the checksum of every frame and snapshot file.
///
/// Castagnoli rather than the IEEE CRC-32 because it detects more error patterns at the lengths we
/// write and is what ext4, iSCSI and most log formats use, so tools and test vectors exist. Computed
/// slicing-by-8: one step consumes 8 bytes with 8 table lookups instead of 8 dependent ones.
public struct CRC32C: Sendable, Equatable {
    /// Pre-inverted, as the algorithm requires; `value` inverts it back.
    private var state: UInt32 = 0xFFFF_FFFF

    /// A checksum of no bytes yet; feed it with `update`.
    public init() {}

    /// The checksum of everything passed to `update` so far.
    public var value: UInt32 { ~state }

    /// Extends the checksum with `buffer`; updating with A then B equals updating with A + B.
    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        var crc = state
        var offset = 0
        let count = buffer.count
        crc32cTable.withUnsafeBufferPointer { table in
            while count - offset >= 8 {
                let low = crc ^ UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
                let high = UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self))
                crc = table[7 * 256 + Int(low & 0xFF)] ^ table[6 * 256 + Int((low >> 8) & 0xFF)]
                    ^ table[5 * 256 + Int((low >> 16) & 0xFF)] ^ table[4 * 256 + Int(low >> 24)]
                    ^ table[3 * 256 + Int(high & 0xFF)] ^ table[2 * 256 + Int((high >> 8) & 0xFF)]
                    ^ table[1 * 256 + Int((high >> 16) & 0xFF)] ^ table[Int(high >> 24)]
                offset += 8
            }
            while offset < count {
                crc = table[Int((crc ^ UInt32(buffer[offset])) & 0xFF)] ^ (crc >> 8)
                offset += 1
            }
        }
        state = crc
    }

    /// Extends the checksum with `bytes`.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Extends the checksum with `bytes`.
    public mutating func update(_ bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The checksum of `bytes` alone.
    /// The checksum of `buffer` alone.
    public static func checksum(_ buffer: UnsafeRawBufferPointer) -> UInt32 {
        var crc = CRC32C()
        crc.update(buffer)
        return crc.value
    }

    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc = CRC32C()
        crc.update(bytes)
        return crc.value
    }

    /// The checksum of `bytes` alone.
    public static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc = CRC32C()
        crc.update(bytes)
        return crc.value
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

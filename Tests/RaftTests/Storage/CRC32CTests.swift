import Testing
@testable import Raft

extension StorageTests {
    @Suite struct CRC32CTests {
        @Test func standardCheckValue() {
            #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
            #expect(CRC32C.checksum([]) == 0)
        }

        /// The iSCSI test vectors (RFC 3720, B.4).
        @Test(arguments: [
            ([UInt8](repeating: 0, count: 32), UInt32(0x8A91_36AA)),
            ([UInt8](repeating: 0xFF, count: 32), UInt32(0x62A8_AB43)),
            ((0..<32).map { UInt8($0) }, UInt32(0x46DD_794E)),
            ((0..<32).reversed().map { UInt8($0) }, UInt32(0x113F_DB5C)),
        ])
        func rfc3720Vectors(bytes: [UInt8], expected: UInt32) {
            #expect(CRC32C.checksum(bytes) == expected)
        }

        @Test func incrementalUpdatesEqualOneShot() {
            let bytes = (0..<100).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let whole = CRC32C.checksum(bytes)
            for split in 0...bytes.count {
                var crc = CRC32C()
                crc.update(bytes[..<split])
                crc.update(bytes[split...])
                #expect(crc.value == whole, "split at \(split)")
            }
            var byByte = CRC32C()
            for byte in bytes { byByte.update([byte]) }
            #expect(byByte.value == whole)
        }

        /// Slicing-by-8 against the one-bit-at-a-time definition, over every length up to 5 strides.
        @Test func matchesBitwiseDefinition() {
            var generator = SeededGenerator(seed: 42)
            for length in 0..<40 {
                let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
                #expect(CRC32C.checksum(bytes) == bitwiseCRC32C(bytes), "length \(length)")
            }
        }

        private func bitwiseCRC32C(_ bytes: [UInt8]) -> UInt32 {
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in bytes {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
            }
            return ~crc
        }
    }
}

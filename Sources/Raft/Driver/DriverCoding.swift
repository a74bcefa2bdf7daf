/// Explicit little-endian encoding for the driver's own formats (proposal envelopes, the client-session
/// table, the snapshot wrapper). Hand-written so the bytes never depend on the platform or on a library's
/// choices: every node of a cluster must decode what any other node wrote.
enum DriverCoding {
    /// Appends fixed-width integers and length-prefixed byte strings.
    struct Writer {
        private(set) var bytes: [UInt8] = []

        init(reservingCapacity capacity: Int = 0) {
            bytes.reserveCapacity(capacity)
        }

        mutating func write(_ value: UInt8) {
            bytes.append(value)
        }

        mutating func write(_ value: UInt32) {
            withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
        }

        mutating func write(_ value: UInt64) {
            withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
        }

        /// A u32 length, then the bytes.
        mutating func writeLengthPrefixed(_ value: [UInt8]) {
            precondition(value.count <= Int(UInt32.max), "byte string of \(value.count) bytes is too long")
            write(UInt32(value.count))
            bytes.append(contentsOf: value)
        }

        mutating func writeRaw(_ value: [UInt8]) {
            bytes.append(contentsOf: value)
        }
    }

    /// Reads what `Writer` wrote; every read checks the remaining length and throws instead of trapping,
    /// because the bytes may come from a peer or a damaged snapshot.
    struct Reader {
        private let bytes: [UInt8]
        private(set) var offset: Int
        /// Names the format in error messages.
        private let what: String

        init(_ bytes: [UInt8], what: String) {
            self.bytes = bytes
            self.offset = 0
            self.what = what
        }

        var remaining: Int { bytes.count - offset }

        mutating func readUInt8() throws(RaftError) -> UInt8 {
            try need(1)
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func readUInt32() throws(RaftError) -> UInt32 {
            try need(4)
            var value: UInt32 = 0
            for i in (0..<4).reversed() { value = value << 8 | UInt32(bytes[offset + i]) }
            offset += 4
            return value
        }

        mutating func readUInt64() throws(RaftError) -> UInt64 {
            try need(8)
            var value: UInt64 = 0
            for i in (0..<8).reversed() { value = value << 8 | UInt64(bytes[offset + i]) }
            offset += 8
            return value
        }

        mutating func readLengthPrefixed() throws(RaftError) -> [UInt8] {
            let count = Int(try readUInt32())
            try need(count)
            defer { offset += count }
            return Array(bytes[offset..<offset + count])
        }

        /// Everything not read yet.
        mutating func readRest() -> [UInt8] {
            defer { offset = bytes.count }
            return Array(bytes[offset...])
        }

        private func need(_ count: Int) throws(RaftError) {
            guard count >= 0, remaining >= count else {
                throw .corruptStorage("\(what): needs \(count) bytes at offset \(offset), \(remaining) left")
            }
        }
    }
}

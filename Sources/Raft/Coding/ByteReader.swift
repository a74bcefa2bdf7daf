/// Reads what `ByteWriter` wrote, from a range of a byte array, and throws instead of trapping when the
/// bytes run out: stored bytes are untrusted input.
public struct ByteReader: Sendable {
    private let bytes: [UInt8]
    private let end: Int
    /// The position of the next byte to read, counted from the start of the array.
    public private(set) var offset: Int

    /// Reads `bytes[range]`.
    public init(_ bytes: [UInt8], range: Range<Int>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= bytes.count, "range \(range) of \(bytes.count) bytes")
        self.bytes = bytes
        self.offset = range.lowerBound
        self.end = range.upperBound
    }

    /// Reads all of `bytes`.
    public init(_ bytes: [UInt8]) {
        self.init(bytes, range: 0..<bytes.count)
    }

    /// Bytes left to read.
    public var remaining: Int { end - offset }

    public mutating func readUInt8() throws(StorageFormatError) -> UInt8 {
        try need(1, for: "a byte")
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func readUInt32() throws(StorageFormatError) -> UInt32 {
        try need(4, for: "a 32-bit integer")
        defer { offset += 4 }
        return bytes.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
    }

    public mutating func readUInt64() throws(StorageFormatError) -> UInt64 {
        try need(8, for: "a 64-bit integer")
        defer { offset += 8 }
        return bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
    }

    public mutating func readBytes(count: Int) throws(StorageFormatError) -> [UInt8] {
        try need(count, for: "\(count) bytes of data")
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    /// A u32 length, then that many bytes (what `ByteWriter.appendLengthPrefixed` wrote).
    public mutating func readLengthPrefixed() throws(StorageFormatError) -> [UInt8] {
        let count = Int(try readUInt32())
        return try readBytes(count: count)
    }

    /// Everything not read yet.
    public mutating func readRest() -> [UInt8] {
        defer { offset = end }
        return Array(bytes[offset..<end])
    }

    private func need(_ count: Int, for what: String) throws(StorageFormatError) {
        guard count <= remaining else {
            throw StorageFormatError("\(what) runs past the end (\(remaining) bytes left at byte \(offset))")
        }
    }
}

/// Bytes that do not decode; callers add where they came from and throw `RaftError.corruptStorage`.
public struct StorageFormatError: Error, Equatable, CustomStringConvertible {
    /// What is wrong, without the location.
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}

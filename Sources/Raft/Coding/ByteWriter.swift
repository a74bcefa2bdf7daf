/// Builds the bytes of our own formats (log frames, snapshot files, proposal envelopes, session tables):
/// fixed-width integers, little-endian whatever the machine, so data moves between hosts and every node
/// decodes what any other wrote. Explicit rather than `Codable` so the format is the code.
public struct ByteWriter: Sendable {
    /// What has been written so far.
    public private(set) var bytes: [UInt8]

    /// An empty buffer with room for `capacity` bytes.
    public init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// The number of bytes written so far.
    public var count: Int { bytes.count }

    public mutating func append(_ value: UInt8) {
        bytes.append(value)
    }

    public mutating func append(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func append(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func append(contentsOf data: [UInt8]) {
        bytes.append(contentsOf: data)
    }

    /// A u32 length, then the bytes.
    public mutating func appendLengthPrefixed(_ data: [UInt8]) {
        precondition(data.count <= Int(UInt32.max), "byte string of \(data.count) bytes is too long")
        append(UInt32(data.count))
        bytes.append(contentsOf: data)
    }

    /// Replaces four bytes at `offset`: headers hold lengths and checksums known only at the end.
    public mutating func overwrite(_ value: UInt32, at offset: Int) {
        precondition(offset >= 0 && offset + 4 <= bytes.count, "overwrite at \(offset) of \(bytes.count) bytes")
        withUnsafeBytes(of: value.littleEndian) { raw in
            for (position, byte) in raw.enumerated() { bytes[offset + position] = byte }
        }
    }
}

import Raft

/// Builds the bytes of metadata commands, answers and snapshots: little-endian fixed-width integers,
/// length-prefixed strings and lists. Explicit rather than `Codable` so that the format is the code and
/// the same value always gives the same bytes (the state machine's determinism depends on it).
/// The integers are Raft's `ByteWriter`; this layer adds PFS's strings, names, optionals and lists.
public struct BinaryWriter {
    private var base = ByteWriter()

    public init() {}

    /// What has been written so far.
    public var bytes: [UInt8] { base.bytes }

    public mutating func write(_ value: UInt8) {
        base.append(value)
    }

    public mutating func write(_ value: Bool) {
        base.append(UInt8(value ? 1 : 0))
    }

    public mutating func write(_ value: UInt32) {
        base.append(value)
    }

    public mutating func write(_ value: UInt64) {
        base.append(value)
    }

    /// A byte count, then the UTF-8 bytes.
    public mutating func write(_ value: String) {
        base.appendLengthPrefixed(Array(value.utf8))
    }

    public mutating func write(_ value: CommitID) {
        write(value.high)
        write(value.low)
    }

    public mutating func write(_ value: RepoName) {
        write(value.text)
    }

    public mutating func write(_ value: BranchName) {
        write(value.text)
    }

    public mutating func write(_ value: BranchKey) {
        write(value.repo)
        write(value.branch)
    }

    /// A presence byte, then the value when present.
    public mutating func write<T>(_ value: T?, _ body: (inout BinaryWriter, T) -> Void) {
        write(value != nil)
        if let value { body(&self, value) }
    }

    /// An element count, then each element. Callers pass lists already sorted.
    public mutating func write<T>(_ values: [T], _ body: (inout BinaryWriter, T) -> Void) {
        write(UInt32(values.count))
        for value in values { body(&self, value) }
    }
}

import Raft

/// Reads what `BinaryWriter` wrote, throwing `PFSError.malformed` instead of trapping: a snapshot may come
/// from another node and a command from any proposer, so the bytes are untrusted.
/// The integers are Raft's `ByteReader`; this layer adds PFS's strings, names, optionals and lists.
public struct BinaryReader {
    private var base: ByteReader

    public init(_ bytes: [UInt8]) {
        base = ByteReader(bytes)
    }

    /// Bytes not read yet.
    var remaining: Int { base.remaining }

    /// Throws unless every byte was read: trailing bytes mean the writer and reader disagree on the format.
    public func finish(_ what: String) throws(PFSError) {
        if remaining != 0 { throw .malformed("\(remaining) unexpected byte(s) after the \(what)") }
    }

    public mutating func readUInt8() throws(PFSError) -> UInt8 {
        try Self.malformedIfShort { () throws(StorageFormatError) in try base.readUInt8() }
    }

    public mutating func readBool() throws(PFSError) -> Bool {
        switch try readUInt8() {
        case 0: return false
        case 1: return true
        case let other: throw .malformed("a flag byte is \(other), expected 0 or 1")
        }
    }

    public mutating func readUInt32() throws(PFSError) -> UInt32 {
        try Self.malformedIfShort { () throws(StorageFormatError) in try base.readUInt32() }
    }

    public mutating func readUInt64() throws(PFSError) -> UInt64 {
        try Self.malformedIfShort { () throws(StorageFormatError) in try base.readUInt64() }
    }

    /// A length-prefixed UTF-8 string; invalid UTF-8 is refused rather than repaired, so that re-encoding
    /// gives back the same bytes.
    public mutating func readString() throws(PFSError) -> String {
        let utf8 = try Self.malformedIfShort { () throws(StorageFormatError) in try base.readLengthPrefixed() }
        guard let text = String(validating: utf8, as: UTF8.self) else {
            throw .malformed("a string is not valid UTF-8")
        }
        return text
    }

    public mutating func readCommitID() throws(PFSError) -> CommitID {
        CommitID(high: try readUInt64(), low: try readUInt64())
    }

    public mutating func readRepoName() throws(PFSError) -> RepoName {
        try Self.revalidated { () throws(PFSError) in try RepoName(readString()) }
    }

    public mutating func readBranchName() throws(PFSError) -> BranchName {
        try Self.revalidated { () throws(PFSError) in try BranchName(readString()) }
    }

    public mutating func readBranchKey() throws(PFSError) -> BranchKey {
        BranchKey(try readRepoName(), try readBranchName())
    }

    /// A presence byte, then the value when present.
    public mutating func readOptional<T>(_ body: (inout BinaryReader) throws(PFSError) -> T) throws(PFSError) -> T? {
        try readBool() ? try body(&self) : nil
    }

    /// An element count, then each element. The count is checked against the bytes left (each element
    /// takes at least one byte) so a corrupt count cannot make us reserve gigabytes.
    public mutating func readArray<T>(_ body: (inout BinaryReader) throws(PFSError) -> T) throws(PFSError) -> [T] {
        let count = Int(try readUInt32())
        guard count <= remaining else { throw .malformed("a list claims \(count) elements in \(remaining) bytes") }
        var values: [T] = []
        values.reserveCapacity(count)
        for _ in 0..<count { values.append(try body(&self)) }
        return values
    }

    private static func malformedIfShort<T>(_ body: () throws(StorageFormatError) -> T) throws(PFSError) -> T {
        do {
            return try body()
        } catch {
            throw .malformed(error.description)
        }
    }

    /// Stored names passed validation when written; one that fails now is corruption, not user error.
    private static func revalidated<T>(_ body: () throws(PFSError) -> T) throws(PFSError) -> T {
        do {
            return try body()
        } catch .invalidName(let kind, let name, let why) {
            throw .malformed("stored \(kind) name '\(name)' is invalid: \(why)")
        }
    }
}

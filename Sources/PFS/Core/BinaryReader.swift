/// Reads what `BinaryWriter` wrote, throwing `PFSError.malformed` instead of trapping: a snapshot may come
/// from another node and a command from any proposer, so the bytes are untrusted.
struct BinaryReader {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Bytes not read yet.
    var remaining: Int { bytes.count - offset }

    /// Throws unless every byte was read: trailing bytes mean the writer and reader disagree on the format.
    func finish(_ what: String) throws(PFSError) {
        if remaining != 0 { throw .malformed("\(remaining) unexpected byte(s) after the \(what)") }
    }

    mutating func readUInt8() throws(PFSError) -> UInt8 {
        try need(1, "a byte")
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func readBool() throws(PFSError) -> Bool {
        switch try readUInt8() {
        case 0: return false
        case 1: return true
        case let other: throw .malformed("a flag byte is \(other), expected 0 or 1")
        }
    }

    mutating func readUInt32() throws(PFSError) -> UInt32 {
        try need(4, "a 32-bit integer")
        var value: UInt32 = 0
        for position in (0..<4).reversed() { value = value << 8 | UInt32(bytes[offset + position]) }
        offset += 4
        return value
    }

    mutating func readUInt64() throws(PFSError) -> UInt64 {
        try need(8, "a 64-bit integer")
        var value: UInt64 = 0
        for position in (0..<8).reversed() { value = value << 8 | UInt64(bytes[offset + position]) }
        offset += 8
        return value
    }

    /// A length-prefixed UTF-8 string; invalid UTF-8 is refused rather than repaired, so that re-encoding
    /// gives back the same bytes.
    mutating func readString() throws(PFSError) -> String {
        let count = Int(try readUInt32())
        try need(count, "a string of \(count) bytes")
        defer { offset += count }
        guard let text = String(validating: bytes[offset..<offset + count], as: UTF8.self) else {
            throw .malformed("a string is not valid UTF-8")
        }
        return text
    }

    mutating func readCommitID() throws(PFSError) -> CommitID {
        CommitID(high: try readUInt64(), low: try readUInt64())
    }

    mutating func readRepoName() throws(PFSError) -> RepoName {
        try Self.revalidated { () throws(PFSError) in try RepoName(readString()) }
    }

    mutating func readBranchName() throws(PFSError) -> BranchName {
        try Self.revalidated { () throws(PFSError) in try BranchName(readString()) }
    }

    mutating func readBranchKey() throws(PFSError) -> BranchKey {
        BranchKey(try readRepoName(), try readBranchName())
    }

    /// A presence byte, then the value when present.
    mutating func readOptional<T>(_ body: (inout BinaryReader) throws(PFSError) -> T) throws(PFSError) -> T? {
        try readBool() ? try body(&self) : nil
    }

    /// An element count, then each element. The count is checked against the bytes left (each element
    /// takes at least one byte) so a corrupt count cannot make us reserve gigabytes.
    mutating func readArray<T>(_ body: (inout BinaryReader) throws(PFSError) -> T) throws(PFSError) -> [T] {
        let count = Int(try readUInt32())
        guard count <= remaining else { throw .malformed("a list claims \(count) elements in \(remaining) bytes") }
        var values: [T] = []
        values.reserveCapacity(count)
        for _ in 0..<count { values.append(try body(&self)) }
        return values
    }

    private func need(_ count: Int, _ what: String) throws(PFSError) {
        guard count <= remaining else {
            throw .malformed("\(what) runs past the end (\(remaining) bytes left at byte \(offset))")
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

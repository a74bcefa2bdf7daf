import Raft
import Replication

/// One directory as stored: its entries, sorted by name bytes, each naming a file (the id of its
/// `FileObject`) or a subdirectory (the id of its `TreeObject`) with the size of everything under it.
/// Stored as one chunk, so a directory is named by the SHA-256 of `encoded`, and a tree of these is a
/// Merkle tree: equal contents give equal ids at every level, and a change rewrites only the objects on
/// the path from the changed entry to the root (DESIGN.md: "directory objects listing name → kind, id,
/// size").
///
/// A directory of more than `DirectoryPaging.singleObjectMaxEntries` entries is stored as pages, each a
/// `TreeObject` with a run of its entries, under a `DirectoryIndex`; the directory's id is the index's.
///
/// There are no empty directories: an empty tree is a nil root, not an object, and decoding refuses an
/// object without entries.
///
/// Format (version 1): the magic `PTR`, a version byte, the entry count (UInt32), then per entry the
/// kind byte (1 file, 2 directory), the name length (UInt16) and UTF-8 bytes, the 32 id bytes and the
/// size (UInt64); little-endian. Names are strictly ascending by bytes. Every value has exactly one
/// encoding and the decoder accepts nothing else, so decode → encode gives back the same bytes and id.
public struct TreeObject: Sendable, Hashable {
    /// What an entry names.
    public enum Kind: UInt8, Sendable, Hashable, CustomStringConvertible {
        case file = 1
        case directory = 2

        public var description: String { self == .file ? "file" : "dir" }
    }

    /// One name in a directory.
    public struct Entry: Sendable, Hashable {
        /// A valid path component.
        public var name: String
        public var kind: Kind
        /// A `FileObject` id for a file, a `TreeObject` id for a directory.
        public var id: ChunkID
        /// The file's length, or the sum of the sizes of everything in the directory.
        public var sizeBytes: UInt64

        public init(name: String, kind: Kind, id: ChunkID, sizeBytes: UInt64) {
            self.name = name
            self.kind = kind
            self.id = id
            self.sizeBytes = sizeBytes
        }

        public static func == (lhs: Entry, rhs: Entry) -> Bool {
            PathRules.sameName(lhs.name, rhs.name) && lhs.kind == rhs.kind && lhs.id == rhs.id
                && lhs.sizeBytes == rhs.sizeBytes
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(NameKey(name))
            hasher.combine(kind)
            hasher.combine(id)
            hasher.combine(sizeBytes)
        }
    }

    /// The version this code writes and the only one it reads.
    public static let formatVersion: UInt8 = 1
    static let magic: [UInt8] = Array("PTR".utf8)
    /// Bytes of an entry besides its name: kind, name length, id, size.
    static let entryFixedBytes = 1 + 2 + 32 + 8
    /// The largest encoding of a stored directory object (a single object, a page or an index): the
    /// chunk store's largest chunk. Large directories are paged (`DirectoryPaging`), so the limit is on
    /// the index: ~1 million pages, some 10^9 entries with short names; the builder refuses more.
    public static let maxEncodedBytes = ChunkerOptions.maxBytesLimit

    /// The entries, strictly ascending by name bytes.
    public let entries: [Entry]

    /// A directory of `entries` in any order; `invalidArgument` for no entries, an invalid or repeated
    /// name, or sizes whose sum overflows.
    public init(entries: [Entry]) throws(PFSError) {
        guard !entries.isEmpty else {
            throw .invalidArgument("a directory object needs at least one entry (an empty tree is a nil root)")
        }
        let sorted = entries.sorted { PathRules.nameBefore($0.name, $1.name) }
        for entry in sorted {
            if let problem = PathRules.problem(withName: entry.name) {
                throw .invalidArgument("directory entry '\(PathRules.escaped(entry.name))' is not a valid name: \(problem)")
            }
        }
        for (previous, next) in zip(sorted, sorted.dropFirst()) where PathRules.sameName(previous.name, next.name) {
            throw .invalidArgument("directory entry '\(PathRules.escaped(next.name))' appears twice")
        }
        guard Self.total(sorted) != nil else { throw .invalidArgument("directory sizes overflow 64 bits") }
        self.entries = sorted
    }

    /// For entries already sorted, unique and valid (the builder's and the decoder's).
    init(trusted entries: [Entry]) {
        self.entries = entries
    }

    /// The directory's size: the sum of its entries' sizes.
    public var sizeBytes: UInt64 {
        Self.total(entries) ?? .max
    }

    /// The sum of the sizes, or nil when it overflows.
    static func total(_ entries: [Entry]) -> UInt64? {
        var sum: UInt64 = 0
        for entry in entries {
            let (next, overflow) = sum.addingReportingOverflow(entry.sizeBytes)
            if overflow { return nil }
            sum = next
        }
        return sum
    }

    /// The position of the entry called `name`, or where it would be inserted.
    public func index(of name: String) -> (found: Bool, index: Int) {
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if PathRules.nameBefore(entries[middle].name, name) { low = middle + 1 } else { high = middle }
        }
        return (low < entries.count && PathRules.sameName(entries[low].name, name), low)
    }

    /// The entry called `name` (byte equality), if any.
    public func entry(named name: String) -> Entry? {
        let (found, index) = index(of: name)
        return found ? entries[index] : nil
    }

    /// The stored form.
    public var encoded: [UInt8] {
        let nameBytes = entries.reduce(0) { $0 + $1.name.utf8.count }
        var writer = ByteWriter(capacity: 8 + entries.count * Self.entryFixedBytes + nameBytes)
        writer.append(contentsOf: Self.magic)
        writer.append(Self.formatVersion)
        writer.append(UInt32(entries.count))
        for entry in entries {
            writer.append(entry.kind.rawValue)
            let name = Array(entry.name.utf8)
            writer.append(UInt8(truncatingIfNeeded: name.count))
            writer.append(UInt8(truncatingIfNeeded: name.count >> 8))
            writer.append(contentsOf: name)
            writer.append(contentsOf: entry.id.bytes)
            writer.append(entry.sizeBytes)
        }
        return writer.bytes
    }
}

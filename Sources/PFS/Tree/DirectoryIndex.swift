import Raft
import Replication

/// A large directory as stored: the list of its pages, each a `TreeObject` holding a run of the
/// directory's entries, so that a reader of one name or of the first screenful loads one page instead
/// of the whole directory, and a change rewrites only the pages it touches (`DirectoryPaging` decides
/// where pages end).
///
/// Format (version 1): the magic `PTI`, a version byte, the page count (UInt32), then per page the
/// length (UInt16) and UTF-8 bytes of its first entry's name, the page object's 32 id bytes, its entry
/// count (UInt32) and its size (UInt64); little-endian. First names are strictly ascending by bytes.
/// Decoding checks everything that can be checked without loading the pages; `TreeReader.page` checks
/// each page against its line here when it loads it.
public struct DirectoryIndex: Sendable, Hashable {
    /// One page: what the index knows about it without loading it.
    public struct Page: Sendable, Hashable {
        /// The name of the page's first entry.
        public var firstName: String
        /// The page's `TreeObject` id.
        public var id: ChunkID
        public var entryCount: UInt32
        /// The sum of the page's entries' sizes.
        public var sizeBytes: UInt64

        public init(firstName: String, id: ChunkID, entryCount: UInt32, sizeBytes: UInt64) {
            self.firstName = firstName
            self.id = id
            self.entryCount = entryCount
            self.sizeBytes = sizeBytes
        }

        public static func == (lhs: Page, rhs: Page) -> Bool {
            PathRules.sameName(lhs.firstName, rhs.firstName) && lhs.id == rhs.id && lhs.entryCount == rhs.entryCount
                && lhs.sizeBytes == rhs.sizeBytes
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(NameKey(firstName))
            hasher.combine(id)
        }
    }

    public static let formatVersion: UInt8 = 1
    static let magic: [UInt8] = Array("PTI".utf8)
    /// Bytes of a page line besides its first name: name length, id, count, size.
    static let pageFixedBytes = 2 + 32 + 4 + 8

    /// At least two pages, in name order.
    public let pages: [Page]
    /// The directory's size: the sum of the pages' sizes.
    public let sizeBytes: UInt64
    /// The directory's entries: the sum of the pages' counts.
    public let entryCount: Int

    /// For pages the builder made (ascending, valid, at least two, sizes that add up).
    init(trusted pages: [Page]) {
        self.pages = pages
        sizeBytes = pages.reduce(0) { $0 &+ $1.sizeBytes }
        entryCount = pages.reduce(0) { $0 + Int($1.entryCount) }
    }

    /// The page that holds `name` if the directory has it: the last page whose first name is not after
    /// `name`; nil when `name` sorts before the first entry.
    public func pageIndex(for name: String) -> Int? {
        var low = 0
        var high = pages.count
        while low < high {
            let middle = (low + high) / 2
            if PathRules.nameBefore(name, pages[middle].firstName) { high = middle } else { low = middle + 1 }
        }
        return low == 0 ? nil : low - 1
    }

    /// The stored form.
    public var encoded: [UInt8] {
        let nameBytes = pages.reduce(0) { $0 + $1.firstName.utf8.count }
        var writer = ByteWriter(capacity: 8 + pages.count * Self.pageFixedBytes + nameBytes)
        writer.append(contentsOf: Self.magic)
        writer.append(Self.formatVersion)
        writer.append(UInt32(pages.count))
        for page in pages {
            let name = Array(page.firstName.utf8)
            writer.append(UInt8(truncatingIfNeeded: name.count))
            writer.append(UInt8(truncatingIfNeeded: name.count >> 8))
            writer.append(contentsOf: name)
            writer.append(contentsOf: page.id.bytes)
            writer.append(page.entryCount)
            writer.append(page.sizeBytes)
        }
        return writer.bytes
    }

    /// Whether `bytes` start like an index (rather than a single `TreeObject`).
    static func isIndex(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 3 && bytes[0] == magic[0] && bytes[1] == magic[1] && bytes[2] == magic[2]
    }

    /// Decodes `bytes`; `malformed` or `unsupportedVersion` for anything else: fewer than two pages, an
    /// empty page, first names not strictly ascending or not valid names, a directory small enough to be
    /// one object (so every directory has one encoding), sizes that overflow, trailing bytes.
    public init(decoding bytes: [UInt8]) throws(PFSError) {
        var reader = ByteReader(bytes)
        do {
            guard try reader.readBytes(count: 3) == Self.magic else { throw PFSError.malformed("not a directory index (bad magic)") }
            let version = try reader.readUInt8()
            guard version == Self.formatVersion else {
                throw PFSError.unsupportedVersion(what: "a directory index", version: version)
            }
            let count = Int(try reader.readUInt32())
            guard count >= 2 else { throw PFSError.malformed("directory index has \(count) page(s); an index has at least two") }
            guard count <= reader.remaining / Self.pageFixedBytes else {
                throw PFSError.malformed("directory index claims \(count) pages in \(reader.remaining) bytes")
            }
            var pages: [Page] = []
            pages.reserveCapacity(count)
            var size: UInt64 = 0
            var entries = 0
            for index in 0..<count {
                let length = Int(try reader.readUInt8()) | Int(try reader.readUInt8()) << 8
                guard let name = String(validating: try reader.readBytes(count: length), as: UTF8.self) else {
                    throw PFSError.malformed("directory index page \(index) has a first name that is not valid UTF-8")
                }
                if let problem = PathRules.problem(withName: name) {
                    throw PFSError.malformed("directory index page \(index) has an invalid first name: \(problem)")
                }
                if let previous = pages.last, !PathRules.nameBefore(previous.firstName, name) {
                    throw PFSError.malformed("directory index page \(index) starts at '\(PathRules.escaped(name))', not after "
                                             + "'\(PathRules.escaped(previous.firstName))'")
                }
                guard let id = ChunkID(bytes: try reader.readBytes(count: 32)) else {
                    throw PFSError.malformed("directory index page \(index) has a bad id")
                }
                let entryCount = try reader.readUInt32()
                guard entryCount > 0 else { throw PFSError.malformed("directory index page \(index) has no entries") }
                let pageSize = try reader.readUInt64()
                let (sum, overflow) = size.addingReportingOverflow(pageSize)
                guard !overflow else { throw PFSError.malformed("directory index sizes overflow 64 bits") }
                size = sum
                entries += Int(entryCount)
                pages.append(Page(firstName: name, id: id, entryCount: entryCount, sizeBytes: pageSize))
            }
            guard reader.remaining == 0 else {
                throw PFSError.malformed("\(reader.remaining) unexpected byte(s) after the directory index's pages")
            }
            guard entries > DirectoryPaging.singleObjectMaxEntries else {
                throw PFSError.malformed("directory index of \(entries) entries; a directory of at most "
                                         + "\(DirectoryPaging.singleObjectMaxEntries) is stored as one object")
            }
            self.init(trusted: pages)
        } catch let error as PFSError {
            throw error
        } catch {
            throw .malformed("directory index: \(error)")
        }
    }
}

/// What a directory id names: one object with all the entries, or an index over pages of them.
public enum StoredDirectory: Sendable, Hashable {
    case single(TreeObject)
    case paged(DirectoryIndex)

    /// Decodes either form, told apart by the magic.
    public init(decoding bytes: [UInt8]) throws(PFSError) {
        self = DirectoryIndex.isIndex(bytes) ? .paged(try DirectoryIndex(decoding: bytes)) : .single(try TreeObject(decoding: bytes))
    }

    /// The sum of the sizes of everything in the directory.
    public var sizeBytes: UInt64 {
        switch self {
        case .single(let object): return object.sizeBytes
        case .paged(let index): return index.sizeBytes
        }
    }

    public var entryCount: Int {
        switch self {
        case .single(let object): return object.entries.count
        case .paged(let index): return index.entryCount
        }
    }
}

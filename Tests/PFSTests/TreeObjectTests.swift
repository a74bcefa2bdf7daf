import Raft
import Replication
import Testing
@testable import PFS

@Suite struct TreeObjectTests {
    static let sample = try! TreeObject(entries: [
        .init(name: "zeta", kind: .file, id: fileID(1), sizeBytes: 10),
        .init(name: "alpha", kind: .directory, id: fileID(2), sizeBytes: 300),
        .init(name: "é", kind: .file, id: fileID(3), sizeBytes: 0),
        .init(name: "e\u{301}", kind: .file, id: fileID(4), sizeBytes: 7),
    ])

    @Test func entriesSortByBytesAndSizesAdd() {
        #expect(Self.sample.entries.map(\.name) == ["alpha", "e\u{301}", "zeta", "é"])
        #expect(Self.sample.sizeBytes == 317)
        #expect(Self.sample.entry(named: "é")?.id == fileID(3))
        #expect(Self.sample.entry(named: "e\u{301}")?.id == fileID(4), "byte lookup, not canonical equivalence")
        #expect(Self.sample.entry(named: "beta") == nil)
        #expect(Self.sample.index(of: "beta") == (false, 1))
    }

    @Test func roundTripKeepsBytesAndID() throws {
        let bytes = Self.sample.encoded
        #expect(Array(bytes.prefix(4)) == Array("PTR".utf8) + [1])
        let decoded = try TreeObject(decoding: bytes)
        #expect(decoded == Self.sample)
        #expect(decoded.encoded == bytes)
        #expect(ChunkID(of: decoded.encoded) == ChunkID(of: bytes))
    }

    @Test func constructionRefusesBadEntries() {
        let entry = TreeObject.Entry(name: "a", kind: .file, id: fileID(1), sizeBytes: 1)
        #expect(throws: PFSError.self) { try TreeObject(entries: []) }
        #expect(throws: PFSError.self) { try TreeObject(entries: [entry, entry]) }
        var bad = entry
        bad.name = ".."
        #expect(throws: PFSError.self) { try TreeObject(entries: [bad]) }
        bad.name = "a/b"
        #expect(throws: PFSError.self) { try TreeObject(entries: [bad]) }
        var big = entry
        big.sizeBytes = .max
        var other = big
        other.name = "b"
        #expect(throws: PFSError.self) { try TreeObject(entries: [big, other]) }
    }

    /// Every proper prefix of a valid encoding is refused, as malformed, never trapping.
    @Test func everyTruncationIsMalformed() {
        let bytes = Self.sample.encoded
        for length in 0..<bytes.count {
            #expect(throws: PFSError.self, "prefix of \(length) bytes") { try TreeObject(decoding: Array(bytes.prefix(length))) }
        }
        #expect(throws: PFSError.self) { try TreeObject(decoding: bytes + [0]) }
    }

    /// Hand-made encodings breaking one rule each.
    @Test(arguments: [
        ("unsorted", [("b", 1), ("a", 1)], "sorted"),
        ("duplicate", [("a", 1), ("a", 1)], "unique"),
        ("dot dot", [("..", 1)], "'..'"),
        ("slash", [("a/b", 1)], "'/'"),
        ("NUL", [("a\u{0}", 1)], "NUL"),
        ("empty name", [("", 1)], "empty"),
        ("bad kind", [("a", 3)], "kind 3"),
    ] as [(String, [(String, UInt8)], String)])
    func malformedObjectsAreRefused(label: String, entries: [(String, UInt8)], word: String) {
        let bytes = Self.encode(entries.map { (Array($0.0.utf8), $0.1) })
        #expect {
            try TreeObject(decoding: bytes)
        } throws: { error in
            guard case PFSError.malformed(let why) = error else { return false }
            return why.contains(word)
        }
    }

    @Test func otherMalformations() {
        #expect(throws: PFSError.malformed("tree object has no entries (empty directories are never stored)")) {
            try TreeObject(decoding: Self.encode([]))
        }
        var wrongVersion = Self.sample.encoded
        wrongVersion[3] = 2
        #expect(throws: PFSError.unsupportedVersion(what: "a tree object", version: 2)) { try TreeObject(decoding: wrongVersion) }
        var wrongMagic = Self.sample.encoded
        wrongMagic[0] = UInt8(ascii: "X")
        #expect(throws: PFSError.self) { try TreeObject(decoding: wrongMagic) }
        // A file object is not a tree object.
        #expect(throws: PFSError.self) { try TreeObject(decoding: FileObject(pieces: []).encoded) }
        // Invalid UTF-8 in a name.
        #expect(throws: PFSError.self) { try TreeObject(decoding: Self.encode([([0xFF, 0xFE], 1)])) }
        // A count far larger than the bytes.
        var huge = Self.encode([(Array("a".utf8), 1)])
        huge[4] = 0xFF
        huge[5] = 0xFF
        huge[6] = 0xFF
        #expect(throws: PFSError.self) { try TreeObject(decoding: huge) }
        // Sizes that overflow.
        #expect(throws: PFSError.self) {
            try TreeObject(decoding: Self.encode([(Array("a".utf8), 1), (Array("b".utf8), 1)], size: .max))
        }
    }

    /// A reader refuses bytes that do not hash to the id asked for.
    @Test func readerVerifiesIDs() async throws {
        let (store, reader) = memoryTree()
        let id = store.storeNow(Self.sample.encoded)
        #expect(try await reader.object(id) == Self.sample)
        let other = try TreeObject(entries: [.init(name: "x", kind: .file, id: fileID(9), sizeBytes: 1)])
        store.corrupt(id, with: other.encoded)
        await #expect(throws: PFSError.self) { try await reader.object(id) }
    }

    @Test func cacheServesAndBounds() async throws {
        let store = MemoryTreeObjectStore()
        let cache = TreeObjectCache(capacityBytes: Self.sample.encoded.count * 2)
        let reader = TreeReader(store: store, cache: cache)
        let id = store.storeNow(Self.sample.encoded)
        _ = try await reader.object(id)
        _ = try await reader.object(id)
        #expect(store.loads == 1)
        #expect(cache.counts.hits == 1)
        for n in 0..<10 as Range<UInt64> {
            let object = try TreeObject(entries: [.init(name: "n\(n)", kind: .file, id: fileID(n), sizeBytes: n)])
            let objectID = store.storeNow(object.encoded)
            _ = try await reader.object(objectID)
            #expect(cache.bytes <= cache.capacityBytes)
        }
    }

    /// Raw encoding with arbitrary name bytes and kinds, bypassing every check.
    static func encode(_ entries: [([UInt8], UInt8)], size: UInt64 = 1) -> [UInt8] {
        var writer = ByteWriter()
        writer.append(contentsOf: Array("PTR".utf8))
        writer.append(UInt8(1))
        writer.append(UInt32(entries.count))
        for (name, kind) in entries {
            writer.append(kind)
            writer.append(UInt8(name.count))
            writer.append(UInt8(0))
            writer.append(contentsOf: name)
            writer.append(contentsOf: fileID(1).bytes)
            writer.append(size)
        }
        return writer.bytes
    }
}

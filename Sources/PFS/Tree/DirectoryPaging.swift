/// Where a large directory's pages end. A directory of up to `singleObjectMaxEntries` entries is one
/// `TreeObject`; a larger one is cut into pages after every entry whose name hashes to a boundary (one
/// name in `averagePageEntries`), or after `maxPageEntries` entries without one. The cut depends on
/// the names only, so a page keeps its id when files elsewhere in the directory are added, removed or
/// changed, and the same entries always give the same pages (Merkle determinism).
enum DirectoryPaging {
    /// The most entries stored as one object (~250 KiB with 16-byte names).
    static let singleObjectMaxEntries = 4_096
    /// One name in this many ends a page.
    static let averagePageEntries: UInt64 = 1_024
    /// A page is cut here if no name has ended it: a run of names that never hash to a boundary (chance
    /// ~1e-7 per page for random names) cannot make one page of the whole directory.
    static let maxPageEntries = 16_384

    /// The ranges of `entries` (sorted) that make its pages: one range for a small directory.
    static func pages(_ entries: [TreeObject.Entry]) -> [Range<Int>] {
        guard entries.count > singleObjectMaxEntries else { return [0..<entries.count] }
        var ranges: [Range<Int>] = []
        var start = 0
        for (index, entry) in entries.enumerated() where index + 1 - start == maxPageEntries || endsPage(entry.name) {
            ranges.append(start..<(index + 1))
            start = index + 1
        }
        if start < entries.count { ranges.append(start..<entries.count) }
        return ranges
    }

    /// Whether a page ends after the entry called `name`: FNV-1a of its bytes, finished by a 64-bit mixer
    /// so that names differing in one trailing digit land independently. Fixed forever: changing it would
    /// change the ids of stored directories.
    static func endsPage(_ name: String) -> Bool {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        hash ^= hash >> 33
        hash &*= 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 33
        hash &*= 0xc4ce_b9fe_1a85_ec53
        hash ^= hash >> 33
        return hash % averagePageEntries == 0
    }
}

import Replication

/// Reads a directory's entries in name order, loading a paged directory's pages one at a time as it
/// reaches them: the first entries of a directory of millions come after one page, and memory is one
/// page. A single-object directory is its own only page, already loaded.
public struct DirectoryCursor: Sendable {
    private let reader: TreeReader
    private let directory: StoredDirectory
    /// The page `entries` holds, or the next one to load when `entries` is nil.
    private var pageNumber = 0
    /// The current page's entries; nil between pages. Never exhausted while set: `next` moves on to the
    /// next page as soon as it returns a page's last entry.
    private var entries: [TreeObject.Entry]?
    private var position = 0
    /// Start after this name when the first page is loaded.
    private var after: String?

    /// A cursor at the first entry after `after` (which need not exist), or at the first entry.
    public init(reader: TreeReader, directory: StoredDirectory, after: String? = nil) {
        self.reader = reader
        self.directory = directory
        self.after = after
        switch directory {
        case .single(let object):
            entries = object.entries
            position = after.map { Self.start(in: object, after: $0) } ?? 0
            self.after = nil
            if position == object.entries.count { finishPage() }
        case .paged(let index):
            pageNumber = after.flatMap(index.pageIndex(for:)) ?? 0
        }
    }

    private var pageCount: Int {
        switch directory {
        case .single: return 1
        case .paged(let index): return index.pages.count
        }
    }

    /// Whether every entry has been returned (known without loading anything).
    public var isAtEnd: Bool { entries == nil && pageNumber >= pageCount }

    /// The id of the page the cursor is about to start, when nothing of it has been read yet: two cursors
    /// about to start equal pages can skip them both unread (`skipPage`).
    public var pageAhead: ChunkID? {
        guard entries == nil, after == nil, case .paged(let index) = directory, pageNumber < index.pages.count else { return nil }
        return index.pages[pageNumber].id
    }

    /// Moves past the page `pageAhead` names without loading it.
    public mutating func skipPage() {
        precondition(pageAhead != nil, "skipPage without a page ahead")
        pageNumber += 1
    }

    /// The next entry, or nil at the end.
    public mutating func next() async throws -> TreeObject.Entry? {
        while entries == nil {
            guard case .paged(let index) = directory, pageNumber < index.pages.count else { return nil }
            let page = try await reader.page(pageNumber, of: index)
            entries = page.entries
            position = after.map { Self.start(in: page, after: $0) } ?? 0
            after = nil
            if position == page.entries.count { finishPage() }
        }
        let entry = entries![position]
        position += 1
        if position == entries!.count { finishPage() }
        return entry
    }

    private mutating func finishPage() {
        entries = nil
        position = 0
        pageNumber += 1
    }

    private static func start(in object: TreeObject, after name: String) -> Int {
        let (found, index) = object.index(of: name)
        return found ? index + 1 : index
    }
}

/// How `put file --split` cuts one input into pieces: what a record is (`format`) and when a piece
/// ends (`targetRecords`, `targetBytes`). Validated at `init`, and the fields are constants, so a
/// `Splitter` never meets a nonsensical combination.
public struct SplitOptions: Sendable, Hashable {
    /// What one record is.
    public enum Format: String, Sendable, Hashable, CaseIterable {
        /// A record ends after each `\n`, which it includes; a last line without one is a record too.
        case line
        /// A record is one top-level JSON value, emitted byte for byte plus one added `\n`.
        case json
        /// A record is one RFC 4180 row: it ends at a `\n` outside double quotes, which it includes.
        case csv
    }

    /// The most bytes the header records of a CSV input may take. The splitter keeps them to repeat
    /// at the start of every piece, so they are the only input it holds on to; this bounds them.
    public static let headerBytesMax = 1 << 20
    /// The deepest nesting of `{` and `[` in a JSON input (Go's `encoding/json` limit, which Pachyderm
    /// inherits). The splitter keeps one byte per open bracket, so this bounds that stack.
    public static let jsonDepthMax = 10_000

    /// What a record is.
    public let format: Format
    /// Records per piece; 0 = no limit by count.
    public let targetRecords: Int
    /// A piece ends after the record that brings it to at least this many bytes (as emitted: the CSV
    /// header and the `\n` added after each JSON value count); 0 = no limit by size.
    public let targetBytes: Int
    /// CSV only: the first N records are a header, written at the start of every piece and not counted
    /// as records of any piece.
    public let headerRecords: Int

    /// Options for one split; both targets 0 makes every record its own piece.
    ///
    /// Throws `SplitError` (kind `.invalidOptions`) for a negative number, or for `headerRecords` with a
    /// format other than `csv` (only CSV has a notion of a header).
    public init(format: Format, targetRecords: Int = 0, targetBytes: Int = 0, headerRecords: Int = 0) throws(SplitError) {
        for (name, value) in [("target records", targetRecords), ("target bytes", targetBytes),
                              ("header records", headerRecords)] where value < 0 {
            throw SplitError(.invalidOptions, "\(name) must not be negative, got \(value)")
        }
        if headerRecords > 0 && format != .csv {
            throw SplitError(.invalidOptions,
                             "header records are only for the csv format, not \(format.rawValue) (got \(headerRecords))")
        }
        self.format = format
        self.targetRecords = targetRecords
        self.targetBytes = targetBytes
        self.headerRecords = headerRecords
    }

    /// Whether a piece holding `records` records and `bytes` bytes is complete.
    func pieceIsFull(records: Int, bytes: Int) -> Bool {
        if targetRecords == 0 && targetBytes == 0 { return true }
        return (targetRecords > 0 && records >= targetRecords) || (targetBytes > 0 && bytes >= targetBytes)
    }
}

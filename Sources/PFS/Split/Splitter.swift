/// What the splitter tells its caller, in order. A piece is the concatenation of the `.bytes` events
/// since the previous `.endOfPiece`; how those bytes are cut into events depends on how the input was
/// fed and carries no meaning.
public enum SplitEvent: Sendable, Hashable {
    /// More bytes of the current piece (which starts with the first of them, if none came before).
    case bytes([UInt8])
    /// The current piece is complete; it held at least one record.
    case endOfPiece
}

/// The streaming core of `put file --split line|json|csv`: it decides where the pieces of one input end,
/// so the caller can write each piece to its own numbered file.
///
/// Feed the input in buffers of any size with `append`, then call `finish()`. Bytes flow through: the
/// bytes of a started piece are returned by the call that consumed them, so a record may be far larger
/// than any buffer and memory stays bounded by the buffer size plus two small, capped states: the CSV
/// header (`SplitOptions.headerBytesMax`) and the stack of open JSON brackets
/// (`SplitOptions.jsonDepthMax`). The events depend only on the bytes, never on where the buffers were
/// cut (mid-record, mid-UTF-8, mid-`\r\n`, mid-escape), apart from how `.bytes` runs are divided.
///
/// A piece starts with its first record's first byte (so there is never an empty piece, and an input
/// with no records gives no events) and ends after the record with which it reaches
/// `targetRecords` records or `targetBytes` bytes, or after every record when both are 0. A record is
/// never split across pieces. What a record is, per format:
/// - `line`: everything up to and including a `\n`; a last line without one as it is.
/// - `json`: one top-level value's bytes exactly plus an added `\n`; the whitespace between values is
///   dropped. Only the lexical structure is checked: brackets match, strings close, a top-level number
///   has only number characters and a literal is `true`, `false` or `null`. As with Go's
///   `json.Decoder`, a top-level number or literal ends at whitespace, at the start of the next value
///   or at the end of the input, so `1[2]` is two values.
/// - `csv`: an RFC 4180 row, up to and including the `\n` outside quotes (a `\r` before it stays in the
///   record); a quoted field may hold newlines and `""`. As in Go's strict `encoding/csv`, a quote
///   inside an unquoted field and anything but `,`, `\n`, `\r\n` or `"` after a closing quote are
///   refused, since they leave the end of the row ambiguous. An empty line is a record (one `\n`),
///   where Go's reader skips it: every input byte lands in some piece, as in `line` mode.
///   The first `headerRecords` rows are held back and repeated at the start of every piece; an
///   input with a header and no other rows gives no pieces.
///
/// A value type with no I/O. `append` and `finish` MUST NOT be called after a `finish()` that returned.
/// After a throw the input is refused as a whole: the events of that call are lost and every later
/// call throws the same error, so the caller MUST discard the pieces it has written.
public struct Splitter: Sendable {
    /// How this splitter cuts.
    public let options: SplitOptions
    /// Pieces ended so far (each reported by an `.endOfPiece`).
    public private(set) var piecesCompleted = 0
    /// Records whose last byte has been seen so far, CSV header records not included.
    public private(set) var recordsCompleted = 0
    /// Input bytes consumed so far: the offset of the next byte `append` will see.
    public private(set) var offsetBytes = 0

    /// Whether a piece has started (its first bytes were emitted) and not yet ended.
    var pieceIsOpen = false
    /// Records of the open piece, ended ones only.
    var pieceRecords = 0
    /// Bytes emitted for the open piece, header included.
    var pieceBytes = 0
    /// Whether bytes of a record (header records included) have been seen and its end has not.
    var recordIsOpen = false
    /// The CSV header records' bytes, repeated at the start of every piece.
    var header: [UInt8] = []
    /// CSV header records ended so far.
    var headerRecordsSeen = 0
    var json = JSONScanner()
    var csv = CSVScanner()
    /// The error that refused the input; every later call throws it again.
    var failure: SplitError?
    var isFinished = false

    /// A splitter at the start of an input.
    public init(_ options: SplitOptions) {
        self.options = options
    }

    /// Consumes `input` (which may end anywhere) and returns the events it completes, in order.
    ///
    /// The returned `.bytes` hold every byte of `input` that belongs to a piece (and, for CSV, the
    /// header at the start of each piece the call begins), so their size is bounded by the input's.
    /// Throws for input that cannot be split (JSON and CSV syntax, the header bound).
    public mutating func append(_ input: some Collection<UInt8>) throws(SplitError) -> [SplitEvent] {
        if let failure { throw failure }
        precondition(!isFinished, "Splitter.append after finish() (offset \(offsetBytes))")
        var out = SplitOutput()
        let scanned = input.withContiguousStorageIfAvailable { buffer in
            Result { () throws(SplitError) in try scan(buffer, into: &out) }
        }
        // A collection without contiguous storage (a lazy view, a Deque) is copied once; callers with
        // large inputs pass arrays or slices of them.
        let result = scanned ?? Array(input).withUnsafeBufferPointer { buffer in
            Result { () throws(SplitError) in try scan(buffer, into: &out) }
        }
        do {
            try result.get()
        } catch {
            failure = error
            throw error
        }
        return out.finish()
    }

    /// The input ended: ends the record and piece still open (never an empty trailing piece) and
    /// returns the last events. Throws for an unterminated JSON value or CSV quote.
    public mutating func finish() throws(SplitError) -> [SplitEvent] {
        if let failure { throw failure }
        precondition(!isFinished, "Splitter.finish() called twice (offset \(offsetBytes))")
        isFinished = true
        var out = SplitOutput()
        do {
            switch options.format {
            case .line: if recordIsOpen { closeRecord(into: &out) }
            case .json: try finishJSON(into: &out)
            case .csv: try finishCSV(into: &out)
            }
        } catch {
            failure = error
            throw error
        }
        if pieceIsOpen { endPiece(into: &out) }
        return out.finish()
    }

    private mutating func scan(_ buffer: UnsafeBufferPointer<UInt8>, into out: inout SplitOutput) throws(SplitError) {
        switch options.format {
        case .line: try scanLines(buffer, into: &out)
        case .json: try scanJSON(buffer, into: &out)
        case .csv: try scanCSV(buffer, into: &out)
        }
        offsetBytes += buffer.count
    }

    private mutating func scanLines(_ buffer: UnsafeBufferPointer<UInt8>, into out: inout SplitOutput) throws(SplitError) {
        var start = 0
        while start < buffer.count {
            guard let newline = Self.firstNewline(in: buffer, from: start) else {
                try emit(buffer[start...], into: &out)
                return
            }
            try emit(buffer[start...newline], into: &out)
            closeRecord(into: &out)
            start = newline + 1
        }
    }

    /// A plain loop rather than `firstIndex(of:)`: the generic version is not specialized in debug
    /// builds and runs at a few MiB/s there, which is what the tests run.
    private static func firstNewline(in buffer: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        var index = start
        while index < buffer.count {
            if buffer[index] == UInt8(ascii: "\n") { return index }
            index += 1
        }
        return nil
    }
}

// MARK: - Records and pieces, shared by the formats

extension Splitter {
    /// Whether the record being read is one of the CSV header records.
    var inHeader: Bool { headerRecordsSeen < options.headerRecords }

    /// The record, from 1 and header records included, being read or about to start (for messages).
    var currentRecord: Int { headerRecordsSeen + recordsCompleted + 1 }

    /// Passes bytes of the current record on: into the header while it is being read, else into the
    /// current piece, which they start (header first) when it has not started yet.
    mutating func emit(_ bytes: Slice<UnsafeBufferPointer<UInt8>>, into out: inout SplitOutput) throws(SplitError) {
        guard !bytes.isEmpty else { return }
        if !recordIsOpen { openRecord(into: &out) }
        if inHeader {
            let room = SplitOptions.headerBytesMax - header.count
            guard bytes.count <= room else {
                throw SplitError(.headerTooLarge,
                                 "the CSV header (\(options.headerRecords) record(s)) takes more than \(SplitOptions.headerBytesMax) bytes",
                                 offsetBytes: offsetBytes + bytes.startIndex + room, record: currentRecord)
            }
            header.append(contentsOf: bytes)
        } else {
            out.pending.append(contentsOf: bytes)
            pieceBytes += bytes.count
        }
    }

    /// Adds the `\n` that ends a JSON record in its piece (the input's own whitespace is dropped).
    mutating func emitAddedNewline(into out: inout SplitOutput) {
        precondition(recordIsOpen && pieceIsOpen, "added newline outside a record (offset \(offsetBytes))")
        out.pending.append(UInt8(ascii: "\n"))
        pieceBytes += 1
    }

    private mutating func openRecord(into out: inout SplitOutput) {
        recordIsOpen = true
        guard !inHeader, !pieceIsOpen else { return }
        pieceIsOpen = true
        pieceRecords = 0
        pieceBytes = 0
        if !header.isEmpty {
            // Its own event, so every piece shares the one header array instead of copying it.
            out.flush()
            out.events.append(.bytes(header))
            pieceBytes = header.count
        }
    }

    /// The current record's last byte has been emitted: counts it and ends the piece when full.
    mutating func closeRecord(into out: inout SplitOutput) {
        precondition(recordIsOpen, "closing a record that is not open (offset \(offsetBytes))")
        recordIsOpen = false
        if inHeader {
            headerRecordsSeen += 1
            return
        }
        recordsCompleted += 1
        pieceRecords += 1
        if options.pieceIsFull(records: pieceRecords, bytes: pieceBytes) { endPiece(into: &out) }
    }

    mutating func endPiece(into out: inout SplitOutput) {
        precondition(pieceIsOpen && !recordIsOpen && pieceRecords > 0,
                     "ending a piece mid-record or empty (records \(pieceRecords), offset \(offsetBytes))")
        out.flush()
        out.events.append(.endOfPiece)
        piecesCompleted += 1
        pieceIsOpen = false
    }
}

/// The events of one call being assembled: consecutive piece bytes are gathered into one `.bytes`.
struct SplitOutput {
    var events: [SplitEvent] = []
    var pending: [UInt8] = []

    mutating func flush() {
        guard !pending.isEmpty else { return }
        events.append(.bytes(pending))
        pending = []
    }

    mutating func finish() -> [SplitEvent] {
        flush()
        return events
    }
}

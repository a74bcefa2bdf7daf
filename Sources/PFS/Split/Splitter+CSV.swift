/// Where the CSV scan is between two bytes: RFC 4180's field grammar, reduced to what decides whether
/// a `\n` ends the row.
struct CSVScanner: Sendable {
    enum Mode: Sendable, Hashable {
        /// At the start of a field (of a row, or after a `,`): a `"` here opens a quoted field.
        case fieldStart
        /// Inside a field that did not start with `"`.
        case unquoted
        /// Inside a quoted field: `\n` and `,` are data.
        case quoted
        /// Right after a `"` inside a quoted field: either it closed the field, or it is the first half
        /// of a `""`; the next byte tells which.
        case quoteInQuoted
        /// A `\r` right after a closing quote: only the `\n` of a `\r\n` may follow.
        case closedThenCR
    }

    var mode = Mode.fieldStart
    /// Where the quoted field being read opened, for the message when it never closes.
    var quoteOffset = 0
}

extension Splitter {
    /// Scans one buffer of a CSV input; bytes go out in runs from a row's start (or the buffer's) to
    /// its `\n` (or the buffer's end).
    mutating func scanCSV(_ buffer: UnsafeBufferPointer<UInt8>, into out: inout SplitOutput) throws(SplitError) {
        var start = 0
        for index in buffer.indices {
            let byte = buffer[index]
            if try stepCSV(byte, at: offsetBytes + index) {
                try emit(buffer[start...index], into: &out)
                closeRecord(into: &out)
                start = index + 1
            }
        }
        try emit(buffer[start...], into: &out)
    }

    /// One byte of a CSV input; returns whether it is the `\n` that ends the row.
    private mutating func stepCSV(_ byte: UInt8, at offset: Int) throws(SplitError) -> Bool {
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), newline = UInt8(ascii: "\n")
        switch csv.mode {
        case .fieldStart, .unquoted:
            switch byte {
            case newline:
                csv.mode = .fieldStart
                return true
            case comma:
                csv.mode = .fieldStart
            case quote where csv.mode == .fieldStart:
                csv.mode = .quoted
                csv.quoteOffset = offset
            case quote:
                throw SplitError(.unexpectedByte,
                                 "'\"' inside an unquoted CSV field; a field with quotes must be quoted as a whole, with each quote doubled",
                                 offsetBytes: offset, record: currentRecord)
            default:
                csv.mode = .unquoted
            }
        case .quoted:
            if byte == quote { csv.mode = .quoteInQuoted }
        case .quoteInQuoted:
            switch byte {
            case quote: csv.mode = .quoted
            case comma: csv.mode = .fieldStart
            case newline:
                csv.mode = .fieldStart
                return true
            case UInt8(ascii: "\r"): csv.mode = .closedThenCR
            default: throw afterClosingQuote(byte, at: offset)
            }
        case .closedThenCR:
            guard byte == newline else { throw afterClosingQuote(byte, at: offset) }
            csv.mode = .fieldStart
            return true
        }
        return false
    }

    private func afterClosingQuote(_ byte: UInt8, at offset: Int) -> SplitError {
        SplitError(.unexpectedByte,
                   "\(SplitError.show(byte)) after the closing quote of the CSV field opened at byte \(csv.quoteOffset); expected ',' or the end of the row",
                   offsetBytes: offset, record: currentRecord)
    }

    /// The input ended: a last row without a `\n` is a row as it is, unless a quote is still open.
    mutating func finishCSV(into out: inout SplitOutput) throws(SplitError) {
        if csv.mode == .quoted {
            throw SplitError(.unterminatedQuote,
                             "the input ends inside the quoted CSV field opened at byte \(csv.quoteOffset)",
                             offsetBytes: offsetBytes, record: currentRecord)
        }
        if recordIsOpen { closeRecord(into: &out) }
    }
}

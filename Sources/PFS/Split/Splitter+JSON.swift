/// Where the JSON scan is between two bytes. Only the lexical structure is tracked (brackets, strings,
/// top-level scalars), which is all it takes to find where a top-level value ends.
struct JSONScanner: Sendable {
    enum Mode: Sendable, Hashable {
        /// Between top-level values: whitespace is dropped, anything else starts a value or is refused.
        case between
        /// Inside `{…}` or `[…]`, outside strings.
        case container
        /// Inside a string, after its opening quote.
        case string
        /// Inside a string, right after a backslash: the next byte is escaped, whatever it is.
        case stringEscape
        /// A top-level number: it ends at the first byte that cannot be part of one.
        case number
        /// A top-level `true`, `false` or `null`, of which `literalMatched` bytes have been seen.
        case literal
    }

    /// An open bracket and where it is, for the message when it is closed by the wrong one or never.
    struct Opener: Sendable, Hashable {
        var byte: UInt8
        var offsetBytes: Int
    }

    static let literals: [[UInt8]] = [Array("true".utf8), Array("false".utf8), Array("null".utf8)]

    var mode = Mode.between
    /// The open brackets of the current value, innermost last; at most `SplitOptions.jsonDepthMax`.
    var openers: [Opener] = []
    /// Which of `literals` is being read, and how many of its bytes have been seen.
    var literalIndex = 0
    var literalMatched = 0
    /// Where the current top-level value and the current string start, for messages.
    var valueStartOffset = 0
    var stringStartOffset = 0

    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    /// The bytes a number may have after its first: a lexical superset of JSON's number grammar.
    static func isNumberByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"),
             UInt8(ascii: "+"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }
}

extension Splitter {
    /// Scans one buffer of a JSON input. `runStart` is where the bytes of the current value in this
    /// buffer begin; they are emitted when the value ends or the buffer does, never byte by byte.
    mutating func scanJSON(_ buffer: UnsafeBufferPointer<UInt8>, into out: inout SplitOutput) throws(SplitError) {
        var runStart: Int? = json.mode == .between ? nil : 0
        var index = 0
        while index < buffer.count {
            let byte = buffer[index]
            let offset = offsetBytes + index
            switch json.mode {
            case .between:
                if JSONScanner.isWhitespace(byte) { break }
                try startJSONValue(byte, at: offset)
                runStart = index
            case .container:
                if try stepJSONContainer(byte, at: offset) {
                    try endJSONValue(buffer[runStart!...index], into: &out)
                    runStart = nil
                }
            case .string:
                if byte == UInt8(ascii: "\\") {
                    json.mode = .stringEscape
                } else if byte == UInt8(ascii: "\"") {
                    if json.openers.isEmpty {
                        try endJSONValue(buffer[runStart!...index], into: &out)
                        runStart = nil
                    } else {
                        json.mode = .container
                    }
                }
            case .stringEscape:
                json.mode = .string
            case .number:
                if JSONScanner.isNumberByte(byte) { break }
                // The byte after a number is not part of it: end the number, then read the byte again
                // as what comes between values (whitespace, the next value, or an error).
                try endJSONValue(buffer[runStart!..<index], into: &out)
                runStart = nil
                continue
            case .literal:
                let literal = JSONScanner.literals[json.literalIndex]
                guard byte == literal[json.literalMatched] else {
                    throw SplitError(.unexpectedByte,
                                     "\(SplitError.show(byte)) inside the JSON literal '\(String(decoding: literal, as: UTF8.self))' that starts at byte \(json.valueStartOffset)",
                                     offsetBytes: offset, record: currentRecord)
                }
                json.literalMatched += 1
                if json.literalMatched == literal.count {
                    try endJSONValue(buffer[runStart!...index], into: &out)
                    runStart = nil
                }
            }
            index += 1
        }
        if let runStart { try emit(buffer[runStart...], into: &out) }
    }

    /// Starts a top-level value with its first byte, or refuses a byte that cannot start one.
    private mutating func startJSONValue(_ byte: UInt8, at offset: Int) throws(SplitError) {
        json.valueStartOffset = offset
        switch byte {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            json.openers = [JSONScanner.Opener(byte: byte, offsetBytes: offset)]
            json.mode = .container
        case UInt8(ascii: "\""):
            json.stringStartOffset = offset
            json.mode = .string
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            json.mode = .number
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            json.literalIndex = JSONScanner.literals.firstIndex { $0[0] == byte }!
            json.literalMatched = 1
            json.mode = .literal
        case UInt8(ascii: "}"), UInt8(ascii: "]"):
            throw SplitError(.unmatchedBracket, "\(SplitError.show(byte)) closes nothing: no JSON value is open",
                             offsetBytes: offset, record: currentRecord)
        case UInt8(ascii: ","):
            throw SplitError(.unexpectedByte,
                             "',' between JSON values; top-level values are separated by whitespace only",
                             offsetBytes: offset, record: currentRecord)
        default:
            throw SplitError(.unexpectedByte, "\(SplitError.show(byte)) cannot start a JSON value",
                             offsetBytes: offset, record: currentRecord)
        }
    }

    /// One byte inside brackets, outside strings; returns whether it closed the top-level value.
    private mutating func stepJSONContainer(_ byte: UInt8, at offset: Int) throws(SplitError) -> Bool {
        switch byte {
        case UInt8(ascii: "\""):
            json.stringStartOffset = offset
            json.mode = .string
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            guard json.openers.count < SplitOptions.jsonDepthMax else {
                throw SplitError(.nestingTooDeep, "JSON nested deeper than \(SplitOptions.jsonDepthMax) levels",
                                 offsetBytes: offset, record: currentRecord)
            }
            json.openers.append(JSONScanner.Opener(byte: byte, offsetBytes: offset))
        case UInt8(ascii: "}"), UInt8(ascii: "]"):
            let opener = json.openers.removeLast()
            let expected = opener.byte == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
            guard byte == expected else {
                throw SplitError(.unmatchedBracket,
                                 "\(SplitError.show(byte)) does not match the \(SplitError.show(opener.byte)) at byte \(opener.offsetBytes)",
                                 offsetBytes: offset, record: currentRecord)
            }
            if json.openers.isEmpty { return true }
        default:
            break
        }
        return false
    }

    /// The last bytes of a top-level value: emits them and the added `\n`, and ends the record.
    private mutating func endJSONValue(_ bytes: Slice<UnsafeBufferPointer<UInt8>>, into out: inout SplitOutput) throws(SplitError) {
        try emit(bytes, into: &out)
        emitAddedNewline(into: &out)
        json.mode = .between
        closeRecord(into: &out)
    }

    /// The input ended: a top-level number ends with it; any other open value is refused.
    mutating func finishJSON(into out: inout SplitOutput) throws(SplitError) {
        let value = "the JSON value that starts at byte \(json.valueStartOffset)"
        switch json.mode {
        case .between:
            return
        case .number:
            emitAddedNewline(into: &out)
            json.mode = .between
            closeRecord(into: &out)
        case .string, .stringEscape:
            throw SplitError(.unterminatedValue,
                             "the input ends inside the string that starts at byte \(json.stringStartOffset), in \(value)",
                             offsetBytes: offsetBytes, record: currentRecord)
        case .container:
            let innermost = json.openers.last!
            throw SplitError(.unterminatedValue,
                             "the input ends inside \(value): \(json.openers.count) bracket(s) still open, the innermost \(SplitError.show(innermost.byte)) at byte \(innermost.offsetBytes)",
                             offsetBytes: offsetBytes, record: currentRecord)
        case .literal:
            let literal = String(decoding: JSONScanner.literals[json.literalIndex], as: UTF8.self)
            throw SplitError(.unterminatedValue, "the input ends inside the literal '\(literal)' of \(value)",
                             offsetBytes: offsetBytes, record: currentRecord)
        }
    }
}

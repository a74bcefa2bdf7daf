import Testing
@testable import PFS

/// One row of a table: an input, how to split it, and the pieces it must give (as text).
struct SplitCase: Sendable, CustomTestStringConvertible {
    let name: String
    let options: SplitOptions
    let input: String
    let pieces: [String]

    init(_ name: String, _ options: SplitOptions, _ input: String, _ pieces: [String]) {
        self.name = name
        self.options = options
        self.input = input
        self.pieces = pieces
    }

    var testDescription: String { "\(options.format.rawValue): \(name)" }
}

/// Options known to be valid, so a typo in a table traps instead of being "handled".
private func options(_ format: SplitOptions.Format, records: Int = 0, bytes: Int = 0, header: Int = 0) -> SplitOptions {
    try! SplitOptions(format: format, targetRecords: records, targetBytes: bytes, headerRecords: header)
}

/// Splits `input`, fed in slices whose sizes `nextFeedSize` picks (all at once by default), and
/// returns the pieces. Records an issue for anything a caller could not turn into files: an empty
/// piece, bytes after the last `.endOfPiece`, or counters that disagree with the events.
private func split(_ input: [UInt8], _ options: SplitOptions,
                   nextFeedSize: () -> Int = { Int.max }) throws(SplitError) -> [[UInt8]] {
    var splitter = Splitter(options)
    var pieces: [[UInt8]] = []
    var current: [UInt8] = []
    func take(_ events: [SplitEvent]) {
        for event in events {
            switch event {
            case .bytes(let bytes):
                if bytes.isEmpty { Issue.record("an empty .bytes event") }
                current += bytes
            case .endOfPiece:
                if current.isEmpty { Issue.record("an empty piece after \(pieces.count) pieces") }
                pieces.append(current)
                current = []
            }
        }
    }
    var offset = 0
    var feeds = 0
    while offset < input.count {
        let end = offset + min(input.count - offset, max(1, nextFeedSize()))
        // Every third feed is a collection without contiguous storage, to take the copying path too.
        if feeds % 3 == 2 {
            take(try splitter.append(input[offset..<end].lazy.map { $0 }))
        } else {
            take(try splitter.append(input[offset..<end]))
        }
        offset = end
        feeds += 1
    }
    take(try splitter.finish())
    #expect(current.isEmpty, "\(current.count) bytes after the last .endOfPiece")
    #expect(splitter.piecesCompleted == pieces.count)
    #expect(splitter.offsetBytes == input.count)
    return pieces
}

private func text(_ pieces: [[UInt8]]) -> [String] {
    pieces.map { String(decoding: $0, as: UTF8.self) }
}

@Suite struct SplitterTableTests {
    static let lineCases: [SplitCase] = [
        SplitCase("empty input", options(.line), "", []),
        SplitCase("one record each", options(.line), "a\nb\n", ["a\n", "b\n"]),
        SplitCase("last line without newline", options(.line), "a\nb", ["a\n", "b"]),
        SplitCase("empty lines are records", options(.line), "\n\na\n", ["\n", "\n", "a\n"]),
        SplitCase("crlf stays in the record", options(.line), "a\r\nb\r\n", ["a\r\n", "b\r\n"]),
        SplitCase("whitespace is a record", options(.line), "  ", ["  "]),
        SplitCase("utf-8 passes through", options(.line), "é\n日本\n", ["é\n", "日本\n"]),
        SplitCase("two records a piece", options(.line, records: 2), "1\n2\n3\n4\n5", ["1\n2\n", "3\n4\n", "5"]),
        SplitCase("piece ends at the record reaching the bytes", options(.line, bytes: 4),
                  "aa\nb\ncccc\nd\n", ["aa\nb\n", "cccc\n", "d\n"]),
        SplitCase("reaching the bytes exactly ends the piece", options(.line, bytes: 5),
                  "aa\nb\nc\n", ["aa\nb\n", "c\n"]),
        SplitCase("whichever target comes first", options(.line, records: 3, bytes: 7),
                  "abcdefg\nx\ny\nz\nw\n", ["abcdefg\n", "x\ny\nz\n", "w\n"]),
        SplitCase("a record larger than the target stays whole", options(.line, bytes: 2),
                  "abcdef\ng\n", ["abcdef\n", "g\n"]),
    ]

    static let jsonCases: [SplitCase] = [
        SplitCase("empty input", options(.json), "", []),
        SplitCase("whitespace only", options(.json), " \n\t\r\n ", []),
        SplitCase("objects, whitespace between dropped", options(.json), #" {"a":1}   {"b":2} "#,
                  ["{\"a\":1}\n", "{\"b\":2}\n"]),
        SplitCase("crlf between values", options(.json), "[1]\r\n[2]\r\n", ["[1]\n", "[2]\n"]),
        SplitCase("whitespace inside a value kept", options(.json), "{ \"a\" : [ 1 ,\n 2 ] }\n\n",
                  ["{ \"a\" : [ 1 ,\n 2 ] }\n"]),
        SplitCase("brackets inside strings do not count", options(.json),
                  #"{"a":"}{][","b":[{"c":"\"}"}]} [1,"]"]"#,
                  [#"{"a":"}{][","b":[{"c":"\"}"}]}"# + "\n", #"[1,"]"]"# + "\n"]),
        SplitCase("escaped backslash before a quote", options(.json), #""a\\" "b\"c""#,
                  [#""a\\""# + "\n", #""b\"c""# + "\n"]),
        SplitCase("top-level scalars", options(.json), #"1 -2.5e+3 true false null "s""#,
                  ["1\n", "-2.5e+3\n", "true\n", "false\n", "null\n", "\"s\"\n"]),
        SplitCase("values without whitespace between", options(.json), #"1[2]{"x":0}"s"null"#,
                  ["1\n", "[2]\n", "{\"x\":0}\n", "\"s\"\n", "null\n"]),
        SplitCase("literals back to back", options(.json), "truefalse", ["true\n", "false\n"]),
        SplitCase("a number at the end of the input", options(.json), "[] 42", ["[]\n", "42\n"]),
        SplitCase("two records a piece", options(.json, records: 2), "{}[]1 2 3", ["{}\n[]\n", "1\n2\n", "3\n"]),
        SplitCase("bytes count the added newline", options(.json, bytes: 6), #""ab" 1 2 {"k":1}"#,
                  ["\"ab\"\n1\n", "2\n{\"k\":1}\n"]),
        SplitCase("utf-8 in strings", options(.json), #"["é","日本"]"#, [#"["é","日本"]"# + "\n"]),
    ]

    static let csvCases: [SplitCase] = [
        SplitCase("empty input", options(.csv), "", []),
        SplitCase("one record each", options(.csv), "a,b\nc,d\n", ["a,b\n", "c,d\n"]),
        SplitCase("last record without newline", options(.csv), "a\nb", ["a\n", "b"]),
        SplitCase("empty lines are records", options(.csv), "\n\na\n", ["\n", "\n", "a\n"]),
        SplitCase("crlf stays in the record", options(.csv), "a,b\r\nc,d\r\n", ["a,b\r\n", "c,d\r\n"]),
        SplitCase("closing quote then crlf", options(.csv), "\"a\"\r\n\"b\"", ["\"a\"\r\n", "\"b\""]),
        SplitCase("newline inside quotes", options(.csv), "a,\"x\ny\"\nb,c\n", ["a,\"x\ny\"\n", "b,c\n"]),
        SplitCase("doubled quotes", options(.csv), "\"he said \"\"hi\"\"\",1\n2,\"\"\"\"\n",
                  ["\"he said \"\"hi\"\"\",1\n", "2,\"\"\"\"\n"]),
        SplitCase("empty quoted field then newline", options(.csv), "\"\"\n,\"\"\nx", ["\"\"\n", ",\"\"\n", "x"]),
        SplitCase("header at the start of every piece", options(.csv, header: 1), "h1,h2\na,b\nc,d\n",
                  ["h1,h2\na,b\n", "h1,h2\nc,d\n"]),
        SplitCase("header with two records a piece", options(.csv, records: 2, header: 1), "h\n1\n2\n3\n",
                  ["h\n1\n2\n", "h\n3\n"]),
        SplitCase("two header records", options(.csv, header: 2), "a\nb\n1\n2", ["a\nb\n1\n", "a\nb\n2"]),
        SplitCase("header bytes count toward the target", options(.csv, bytes: 6, header: 1), "hh\n1\n2\n3\n",
                  ["hh\n1\n2\n", "hh\n3\n"]),
        SplitCase("quoted newline in the header", options(.csv, header: 1), "\"h\n1\",h2\nx,y\n",
                  ["\"h\n1\",h2\nx,y\n"]),
        SplitCase("header only gives no pieces", options(.csv, header: 1), "h1,h2\n", []),
        SplitCase("fewer records than the header", options(.csv, header: 3), "a\nb", []),
    ]

    @Test(arguments: lineCases + jsonCases + csvCases)
    func splitsIntoTheExpectedPieces(_ row: SplitCase) throws {
        let input = Array(row.input.utf8)
        let expected = row.pieces.map { Array($0.utf8) }
        // Bytes, not `String`s, are compared: `String` equality would take decomposed and precomposed
        // characters for the same.
        let whole = try split(input, row.options)
        #expect(whole == expected, "got \(text(whole))")
        // The same pieces whatever the feed: here one byte at a time, mid-UTF-8 and mid-"\r\n" included.
        let byteByByte = try split(input, row.options, nextFeedSize: { 1 })
        #expect(byteByByte == expected, "fed byte by byte, got \(text(byteByByte))")
    }

    @Test func countersFollowTheEvents() throws {
        var splitter = Splitter(options(.csv, records: 2, header: 1))
        let events = try splitter.append(Array("h\n1\n2\n3".utf8))
        #expect(events.filter { $0 == .endOfPiece }.count == 1)
        // The last record's byte went out with the call that read it, behind the repeated header.
        #expect(events.suffix(2) == [.bytes(Array("h\n".utf8)), .bytes(Array("3".utf8))])
        #expect(splitter.piecesCompleted == 1)
        #expect(splitter.recordsCompleted == 2)
        #expect(splitter.offsetBytes == 7)
        #expect(try splitter.finish() == [.endOfPiece])
        #expect(splitter.piecesCompleted == 2)
        #expect(splitter.recordsCompleted == 3)
    }
}

/// (name, options, input, kind, words the message must contain, offset, record)
typealias SplitErrorCase = (String, SplitOptions, String, SplitError.Kind, [String], Int, Int)

@Suite struct SplitterErrorTests {
    static let cases: [SplitErrorCase] = [
        ("bracket closed by the wrong kind", options(.json), #"{"a":[1}"#, .unmatchedBracket,
         ["'}' does not match the '[' at byte 5"], 7, 1),
        ("closing bracket with nothing open", options(.json), "[] ]", .unmatchedBracket, ["']' closes nothing"], 3, 2),
        ("stray comma between values", options(.json), "{} , {}", .unexpectedByte, ["','", "whitespace only"], 3, 2),
        ("garbage between values", options(.json), "1 2 x", .unexpectedByte, ["'x' cannot start a JSON value"], 4, 3),
        ("garbage right after a number", options(.json), "12x", .unexpectedByte, ["'x' cannot start"], 2, 2),
        ("a control byte", options(.json), "\u{1}", .unexpectedByte, ["byte 0x01 cannot start"], 0, 1),
        ("misspelled literal", options(.json), "tru e", .unexpectedByte, ["literal 'true'"], 3, 1),
        ("unterminated string", options(.json), #"{"a":"bc"#, .unterminatedValue,
         ["inside the string that starts at byte 5", "value that starts at byte 0"], 8, 1),
        ("unterminated array", options(.json), "[1] [[1]", .unterminatedValue,
         ["1 bracket(s) still open", "'[' at byte 4"], 8, 2),
        ("escape at the end", options(.json), #""a\"#, .unterminatedValue, ["string"], 3, 1),
        ("unterminated literal", options(.json), "nul", .unterminatedValue, ["literal 'null'"], 3, 1),
        ("unterminated csv quote", options(.csv), "x\na,\"b\nc\n", .unterminatedQuote,
         ["quoted CSV field opened at byte 4"], 9, 2),
        ("quote inside an unquoted field", options(.csv), "a\"b\n", .unexpectedByte, ["unquoted CSV field"], 1, 1),
        ("byte after a closing quote", options(.csv), "1\n\"a\"b\n", .unexpectedByte,
         ["'b' after the closing quote", "opened at byte 2"], 5, 2),
        ("lone cr after a closing quote", options(.csv), "\"a\"\rb", .unexpectedByte, ["'b' after the closing quote"], 4, 1),
    ]

    @Test(arguments: cases)
    func refusesWithTheOffset(_ row: SplitErrorCase) {
        let (name, options, inputText, kind, words, offset, record) = row
        let input = Array(inputText.utf8)
        var whole: SplitError?
        do { _ = try split(input, options) } catch { whole = error }
        guard let whole else {
            Issue.record("\(name): accepted")
            return
        }
        #expect(whole.kind == kind, "\(name)")
        #expect(whole.offsetBytes == offset, "\(name): \(whole)")
        #expect(whole.record == record, "\(name): \(whole)")
        #expect(whole.description.contains("at byte \(offset), record \(record)"), "\(name): \(whole)")
        for word in words {
            #expect(whole.description.contains(word), "\(name): '\(whole)' lacks '\(word)'")
        }
        // The error does not depend on the feed.
        #expect(throws: whole) { _ = try split(input, options, nextFeedSize: { 1 }) }
    }

    @Test func nestingIsBounded() throws {
        let depth = SplitOptions.jsonDepthMax
        let deepest = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        #expect(try split(Array(deepest.utf8), options(.json)).count == 1)
        let tooDeep = Array(("[" + deepest + "]").utf8)
        let error = #expect(throws: SplitError.self) { _ = try split(tooDeep, options(.json)) }
        #expect(error?.kind == .nestingTooDeep)
        #expect(error?.offsetBytes == depth)
    }

    @Test func headerIsBounded() throws {
        let limit = SplitOptions.headerBytesMax
        let fits = [UInt8](repeating: UInt8(ascii: "h"), count: limit - 1) + Array("\nrow\n".utf8)
        #expect(try split(fits, options(.csv, header: 1)).map(\.count) == [limit + 4])
        let tooLarge = [UInt8](repeating: UInt8(ascii: "h"), count: limit) + Array("\nrow\n".utf8)
        let error = #expect(throws: SplitError.self) {
            _ = try split(tooLarge, options(.csv, header: 1), nextFeedSize: { 4096 })
        }
        #expect(error?.kind == .headerTooLarge)
        #expect(error?.offsetBytes == limit)
        #expect(error?.description.contains("more than \(limit) bytes") == true, "\(String(describing: error))")
    }

    @Test func anErrorSticks() throws {
        var splitter = Splitter(options(.json))
        #expect(try splitter.append(Array("[1] ".utf8)) == [.bytes(Array("[1]\n".utf8)), .endOfPiece])
        let refused = #expect(throws: SplitError.self) { _ = try splitter.append(Array(", 2".utf8)) }
        guard let refused else { return }
        #expect(throws: refused) { _ = try splitter.append(Array("3".utf8)) }
        #expect(throws: refused) { _ = try splitter.finish() }

        var unterminated = Splitter(options(.csv))
        _ = try unterminated.append(Array("a,\"b".utf8))
        let atEnd = #expect(throws: SplitError.self) { _ = try unterminated.finish() }
        guard let atEnd else { return }
        #expect(throws: atEnd) { _ = try unterminated.finish() }
    }

    @Test(arguments: [
        (SplitOptions.Format.line, -1, 0, 0, "target records must not be negative, got -1"),
        (.csv, 0, -5, 0, "target bytes must not be negative, got -5"),
        (.csv, 0, 0, -1, "header records must not be negative"),
        (.line, 0, 0, 1, "header records are only for the csv format, not line"),
        (.json, 2, 0, 3, "header records are only for the csv format, not json"),
    ])
    func invalidOptionsSayWhy(format: SplitOptions.Format, records: Int, bytes: Int, header: Int, message: String) {
        let error = #expect(throws: SplitError.self) {
            _ = try SplitOptions(format: format, targetRecords: records, targetBytes: bytes, headerRecords: header)
        }
        #expect(error?.kind == .invalidOptions)
        #expect(error?.description.contains(message) == true, "\(String(describing: error))")
        #expect(error?.offsetBytes == nil && error?.record == nil)
    }
}

@Suite struct SplitterPropertyTests {
    /// Random records of every format, fed in random slices (1 byte to 4 KiB), give the pieces of
    /// feeding everything at once, and those are the pieces the records' simple grouping gives.
    @Test(arguments: 0..<50)
    func feedSizesDoNotMatter(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        for format in SplitOptions.Format.allCases {
            let generated = RandomInput.make(format, &random)
            let splitOptions = options(format, records: Int.random(in: 0...4, using: &random),
                                       bytes: Bool.random(using: &random) ? 0 : Int.random(in: 1...300, using: &random),
                                       header: generated.headerRecords)
            let context = "\(format.rawValue), \(splitOptions), replay with seed \(seed)"
            let whole = try split(generated.bytes, splitOptions)
            let fed = try split(generated.bytes, splitOptions, nextFeedSize: {
                switch random.next() % 8 {
                case 0: 1
                case 1: Int.random(in: 1...4096, using: &random)
                default: Int.random(in: 1...64, using: &random)
                }
            })
            #expect(fed == whole, "\(context)")
            #expect(whole == referencePieces(generated.records, header: generated.header, splitOptions), "\(context)")
            if format == .line {
                #expect(whole == referencePieces(naiveLines(generated.bytes), header: [], splitOptions), "\(context)")
            }
        }
    }

    /// The lines of an input the obvious way: cut after every `\n`, and keep what is left.
    func naiveLines(_ input: [UInt8]) -> [[UInt8]] {
        var lines = input.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { Array($0) + [10] }
        let last = lines.removeLast().dropLast()
        if !last.isEmpty { lines.append(Array(last)) }
        return lines
    }

    /// The pieces, straight from the rules: a piece gets records (after the header) until it has the
    /// target count or bytes, or one record when there are no targets.
    func referencePieces(_ records: [[UInt8]], header: [UInt8], _ options: SplitOptions) -> [[UInt8]] {
        var pieces: [[UInt8]] = []
        var piece: [UInt8] = []
        var count = 0
        for record in records {
            if count == 0 { piece = header }
            piece += record
            count += 1
            let noTargets = options.targetRecords == 0 && options.targetBytes == 0
            if noTargets || (options.targetRecords > 0 && count >= options.targetRecords)
                || (options.targetBytes > 0 && piece.count >= options.targetBytes) {
                pieces.append(piece)
                count = 0
            }
        }
        if count > 0 { pieces.append(piece) }
        return pieces
    }

    /// A 64 MiB record (a line, a JSON string, a quoted CSV field) fed 64 KiB at a time comes out as
    /// it goes in: each call returns the bytes it was given, no event is larger than twice the feed,
    /// and nothing but the added JSON newline waits for `finish()`.
    @Test(arguments: SplitOptions.Format.allCases)
    func aHugeRecordFlowsThrough(format: SplitOptions.Format) throws {
        let feedBytes = 64 << 10
        let feeds = 1024
        let (prefix, suffix): (String, String) = switch format {
        case .line: ("", "\n")
        case .json: ("\"", "\"")
        case .csv: ("\"", "\"\n")
        }
        let filler = [UInt8](repeating: UInt8(ascii: "a"), count: feedBytes)
        var splitter = Splitter(options(format))
        var emittedBytes = 0, largestEventBytes = 0, ends = 0, starvedFeeds = 0
        func take(_ events: [SplitEvent]) -> Int {
            var bytes = 0
            for event in events {
                switch event {
                case .bytes(let chunk):
                    bytes += chunk.count
                    largestEventBytes = max(largestEventBytes, chunk.count)
                case .endOfPiece:
                    ends += 1
                }
            }
            emittedBytes += bytes
            return bytes
        }
        _ = take(try splitter.append(Array(prefix.utf8)))
        for _ in 0..<feeds where take(try splitter.append(filler)) != feedBytes {
            starvedFeeds += 1
        }
        #expect(ends == 0)
        _ = take(try splitter.append(Array(suffix.utf8)))
        let afterLastFeed = emittedBytes
        _ = take(try splitter.finish())
        let recordBytes = prefix.utf8.count + feeds * feedBytes + suffix.utf8.count + (format == .json ? 1 : 0)
        #expect(starvedFeeds == 0, "feeds whose bytes were held back")
        #expect(largestEventBytes <= 2 * feedBytes)
        #expect(emittedBytes == recordBytes)
        #expect(afterLastFeed >= recordBytes - 1, "only the added JSON newline may wait for finish()")
        #expect(ends == 1)
    }
}

/// SplitMix64, so a failing seed replays.
private struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A random input of one format and what it is made of: the records as the splitter must emit them
/// (a JSON value with its added `\n`) and, for CSV, the header records' bytes.
private struct RandomInput {
    var bytes: [UInt8] = []
    var records: [[UInt8]] = []
    var header: [UInt8] = []
    var headerRecords = 0

    static func make(_ format: SplitOptions.Format, _ random: inout SplitMix64) -> RandomInput {
        switch format {
        case .line: lines(&random)
        case .json: jsonValues(&random)
        case .csv: csvRows(&random)
        }
    }

    /// Lines of bytes other than `\n` (with `\r`, quotes, braces and UTF-8), some long, the last one
    /// sometimes without its `\n`.
    static func lines(_ random: inout SplitMix64) -> RandomInput {
        let alphabet = ["a", "z", " ", "\r", "é", ",", "\"", "{", "\u{0}"].map { Array($0.utf8) }
        var input = RandomInput()
        let count = Int.random(in: 0...40, using: &random)
        for index in 0..<count {
            let length = random.next() % 10 == 0 ? Int.random(in: 0...3000, using: &random) : Int.random(in: 0...12, using: &random)
            var line = (0..<length).flatMap { _ in alphabet.randomElement(using: &random)! }
            if index < count - 1 || Bool.random(using: &random) { line.append(UInt8(ascii: "\n")) }
            guard !line.isEmpty else { continue }
            input.bytes += line
            input.records.append(line)
        }
        return input
    }

    /// Top-level values (containers with strings full of brackets and escapes, numbers, literals)
    /// separated by random whitespace, or by none where that still reads as two values.
    static func jsonValues(_ random: inout SplitMix64) -> RandomInput {
        let spaces = ["", " ", "\n", "\r\n", "\t "]
        var input = RandomInput()
        input.bytes += Array(spaces.randomElement(using: &random)!.utf8)
        var previousWasNumber = false
        for _ in 0..<Int.random(in: 0...25, using: &random) {
            let value = Array(jsonValue(depth: 0, &random).utf8)
            let startsNumber = value[0] == UInt8(ascii: "-") || (value[0] >= 0x30 && value[0] <= 0x39)
            var space = spaces.randomElement(using: &random)!
            if previousWasNumber && startsNumber && space.isEmpty { space = " " }
            input.bytes += Array(space.utf8) + value
            input.records.append(value + [UInt8(ascii: "\n")])
            previousWasNumber = startsNumber
        }
        input.bytes += Array(spaces.randomElement(using: &random)!.utf8)
        return input
    }

    static func jsonValue(depth: Int, _ random: inout SplitMix64) -> String {
        let space = { (random: inout SplitMix64) in ["", " ", "\n", "\t", "\r\n"].randomElement(using: &random)! }
        switch Int.random(in: depth >= 3 ? 2...4 : 0...4, using: &random) {
        case 0:
            let members = (0..<Int.random(in: 0...4, using: &random)).map { _ in
                jsonString(&random) + space(&random) + ":" + space(&random) + jsonValue(depth: depth + 1, &random)
            }
            return "{" + space(&random) + members.joined(separator: "," + space(&random)) + "}"
        case 1:
            let elements = (0..<Int.random(in: 0...4, using: &random)).map { _ in jsonValue(depth: depth + 1, &random) }
            return "[" + elements.joined(separator: space(&random) + ",") + space(&random) + "]"
        case 2:
            return jsonString(&random)
        case 3:
            return ["0", "-1", "3.25", "1e10", "-0.5E-3", "12345678901234567890"].randomElement(using: &random)!
        default:
            return ["true", "false", "null"].randomElement(using: &random)!
        }
    }

    static func jsonString(_ random: inout SplitMix64) -> String {
        let parts = ["a", "{", "}", "[", "]", #"\""#, #"\\"#, #"\n"#, #"\u00e9"#, "é", " ", ",", ":"]
        let length = random.next() % 20 == 0 ? Int.random(in: 0...2000, using: &random) : Int.random(in: 0...8, using: &random)
        return "\"" + (0..<length).map { _ in parts.randomElement(using: &random)! }.joined() + "\""
    }

    /// Rows of unquoted and quoted fields (with commas, newlines, `\r\n` and `""` inside quotes),
    /// ending in `\n` or `\r\n`, the last sometimes in neither; up to two of them a header.
    static func csvRows(_ random: inout SplitMix64) -> RandomInput {
        let unquoted = ["a", "1", " ", "é", "\r", "x y"]
        let quoted = ["a", ",", "\n", "\r\n", "\"\"", "é", " "]
        var input = RandomInput()
        input.headerRecords = Int.random(in: 0...2, using: &random)
        let count = Int.random(in: 0...30, using: &random)
        for index in 0..<count {
            let fields = (0..<Int.random(in: 1...5, using: &random)).map { _ -> String in
                let length = random.next() % 15 == 0 ? Int.random(in: 0...1500, using: &random) : Int.random(in: 0...6, using: &random)
                if Bool.random(using: &random) {
                    return "\"" + (0..<length).map { _ in quoted.randomElement(using: &random)! }.joined() + "\""
                }
                return (0..<length).map { _ in unquoted.randomElement(using: &random)! }.joined()
            }
            var row = Array(fields.joined(separator: ",").utf8)
            if index < count - 1 || Bool.random(using: &random) {
                row += Array((Bool.random(using: &random) ? "\n" : "\r\n").utf8)
            }
            guard !row.isEmpty else { continue }
            input.bytes += row
            if index < input.headerRecords { input.header += row } else { input.records.append(row) }
        }
        return input
    }
}

import Testing
@testable import Jobs

@Suite struct JSONTests {
    @Test func parsesEveryKindAndKeepsKeyOrder() throws {
        let value = try JSON.parse(#" { "b": [1, -2.5e3, true, false, null], "a": "x\n\u00e9\ud83d\ude00\/" } "#)
        #expect(value == .object([
            ("b", .array([.number("1"), .number("-2.5e3"), .bool(true), .bool(false), .null])),
            ("a", .string("x\né😀/")),
        ]))
        #expect(try JSON.parse(value.text) == value, "the writer's text reads back")
        #expect(JSON.string("q\"\\\u{01}").text == #""q\"\\\u0001""#)
    }

    @Test(arguments: [
        ("", "expected a value"),
        ("{", "expected a field name"),
        (#"{"a":1,}"#, "expected a field name"),
        ("[1,]", "expected a value"),
        (#"{"a":1 "b":2}"#, "expected ',' or '}'"),
        (#"{"a":1,"a":2}"#, "appears twice"),
        ("01", "unexpected text after"),
        ("1.", "digits after '.'"),
        ("-", "needs digits"),
        ("1e", "exponent"),
        ("tru", "expected 'true'"),
        (#""abc"#, "not closed"),
        ("\"a\u{01}b\"", "raw control character"),
        (#""\x""#, "unknown escape"),
        (#""\ud800""#, "without its low half"),
        (#""\udc00""#, "lone low surrogate"),
        (#""\u12""#, "four hex digits"),
        ("// comment\n{}", "expected a value"),
        ("{} {}", "unexpected text after"),
    ])
    func refusesWhatIsNotStrictJSON(text: String, message: String) {
        do {
            let value = try JSON.parse(text)
            Issue.record("parsed \(value) from \(text)")
        } catch {
            #expect(error.message.contains(message), "\(text): \(error)")
        }
    }

    @Test func errorsSayWhere() {
        #expect(throws: JSONSyntaxError(message: "expected ',' or '}' after the value of \"a\"", line: 3, column: 3)) {
            try JSON.parse("{\n \"a\": 1\n  \"b\": 2}")
        }
    }

    @Test func deepNestingIsRefusedNotACrash() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONSyntaxError.self) { try JSON.parse(deep) }
        let fine = String(repeating: "[", count: JSON.maxDepth) + String(repeating: "]", count: JSON.maxDepth)
        #expect(throws: Never.self) { try JSON.parse(fine) }
    }
}

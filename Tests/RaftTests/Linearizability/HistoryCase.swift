import Testing
@testable import Linearizability

/// A named, hand-written history for the checker's table-driven tests.
///
/// Calls are written in the order they appear in the table and numbered by position, so an explanation's
/// `#2` is the third row.
struct HistoryCase: Sendable, CustomTestStringConvertible {
    var name: String
    var operations: [Operation]

    init(_ name: String, _ calls: Operation...) {
        self.name = name
        self.operations = calls.enumerated().map { index, call in
            var numbered = call
            numbered.id = index
            return numbered
        }
    }

    var testDescription: String { name }
}

extension Operation {
    /// Table shorthand: `.call(1, .put("a"), .ok, 0, 10)` is client 1 writing "a" to key "x" from tick 0
    /// to tick 10. `output: nil` is a timed-out call; `response: nil` one that never returned.
    static func call(
        _ client: Int,
        _ input: KVInput,
        _ output: KVOutput?,
        _ invoke: UInt64,
        _ response: UInt64?,
        key: String = "x"
    ) -> Operation {
        Operation(
            id: -1, client: client, key: key, input: input, output: output, invoke: invoke, response: response
        )
    }
}

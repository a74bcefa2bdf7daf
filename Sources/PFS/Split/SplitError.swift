/// Why options or an input cannot be split. The message names where: the byte offset in the input
/// (from 0) and the record (from 1, CSV header records included) being read or about to start.
///
/// The `put file` handler passes `description` on as an invalid-argument error.
public struct SplitError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, for callers and tests that branch on it rather than on the text.
    public enum Kind: Sendable, Hashable {
        /// `SplitOptions.init` refused its arguments.
        case invalidOptions
        /// A byte that cannot be there: between JSON values, inside a JSON literal or number, or a CSV
        /// quote out of place.
        case unexpectedByte
        /// A JSON `}` or `]` that closes nothing or the other kind of bracket.
        case unmatchedBracket
        /// JSON nested deeper than `SplitOptions.jsonDepthMax`.
        case nestingTooDeep
        /// The input ended inside a JSON value (an open bracket, string or literal).
        case unterminatedValue
        /// The input ended inside a quoted CSV field.
        case unterminatedQuote
        /// The CSV header records take more than `SplitOptions.headerBytesMax` bytes.
        case headerTooLarge
    }

    /// What went wrong.
    public let kind: Kind
    /// Offset in the input, from 0, of the byte where the problem was found (the end of the input for
    /// an unterminated value); nil for options.
    public let offsetBytes: Int?
    /// The record, from 1, being read or about to start when it was found; nil for options.
    public let record: Int?
    /// What a user reads: the problem, then where it is.
    public let description: String

    init(_ kind: Kind, _ detail: String, offsetBytes: Int? = nil, record: Int? = nil) {
        self.kind = kind
        self.offsetBytes = offsetBytes
        self.record = record
        switch (offsetBytes, record) {
        case let (offset?, record?): description = "\(detail) (at byte \(offset), record \(record))"
        case let (offset?, nil): description = "\(detail) (at byte \(offset))"
        default: description = detail
        }
    }

    /// A byte as a message shows it: printable ASCII in quotes, anything else in hex, so a control
    /// byte or half a UTF-8 sequence cannot garble the line.
    static func show(_ byte: UInt8) -> String {
        if byte >= 0x21 && byte <= 0x7E { return "'\(Character(Unicode.Scalar(byte)))'" }
        let hex = String(byte, radix: 16, uppercase: true)
        return "byte 0x" + (hex.count == 1 ? "0" + hex : hex)
    }
}

/// A JSON value whose objects keep their fields in the order they were built, so `-o json` output is
/// byte-for-byte stable and reads in a sensible order (name first), which a dictionary would not give.
public indirect enum JSONValue: Sendable, Equatable {
    /// `null`: a field that is not set (an open commit's finish time, a first commit's parent).
    case null
    /// `true` / `false`.
    case bool(Bool)
    /// A signed integer.
    case int(Int64)
    /// An unsigned integer (sizes, Raft indexes).
    case uint(UInt64)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object with ordered fields.
    case object([JSONField])

    /// A string, or `null` for the empty string: pfs.proto uses "" for "not set" in optional fields.
    public static func optionalString(_ text: String) -> JSONValue {
        text.isEmpty ? .null : .string(text)
    }

    /// The compact one-line encoding (one document per line on stdout).
    public func encoded() -> String {
        var output = ""
        write(to: &output)
        return output
    }

    func write(to output: inout String) {
        switch self {
        case .null: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .int(let value): output += String(value)
        case .uint(let value): output += String(value)
        case .string(let value): Self.writeString(value, to: &output)
        case .array(let values):
            output += "["
            for (index, value) in values.enumerated() {
                if index > 0 { output += "," }
                value.write(to: &output)
            }
            output += "]"
        case .object(let fields):
            output += "{"
            for (index, field) in fields.enumerated() {
                if index > 0 { output += "," }
                Self.writeString(field.key, to: &output)
                output += ":"
                field.value.write(to: &output)
            }
            output += "}"
        }
    }

    /// RFC 8259 string escaping: quote, backslash and control characters; everything else as UTF-8.
    static func writeString(_ text: String, to output: inout String) {
        output += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        output += "\""
    }
}

/// One field of a JSON object.
public struct JSONField: Sendable, Equatable {
    /// The snake_case field name.
    public var key: String
    /// The value.
    public var value: JSONValue

    /// Creates a field.
    public init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}

/// How a command prints its result: a table for people or JSON for scripts.
public enum OutputFormat: String, Sendable, CaseIterable {
    /// Aligned columns (lists) or "Key: value" lines (inspect), with human sizes and ages.
    case table
    /// One compact JSON document per object, newline-separated, stable snake_case field names.
    case json
}

/// Renders API results as text. Pure: the current time is injected so ages are testable, and every
/// method returns the whole output (ending in a newline, or empty) for the caller to write.
///
/// JSON conventions: times are RFC 3339 strings in UTC (nanosecond integers exceed what many JSON
/// tools hold exactly); a field that is not set is `null`; sizes are integers in bytes.
public struct Presenter: Sendable {
    /// Table or JSON.
    public var format: OutputFormat
    /// "Now", for ages, in Unix nanoseconds.
    public var nowUnixNanos: Int64

    /// Creates a presenter.
    public init(format: OutputFormat, nowUnixNanos: Int64) {
        self.format = format
        self.nowUnixNanos = nowUnixNanos
    }

    /// One JSON document per line, or the empty string for no documents.
    public static func jsonLines(_ documents: [JSONValue]) -> String {
        documents.map { $0.encoded() + "\n" }.joined()
    }

    /// `pachctl version`: the client's version and the answering server's.
    public func version(client: String, server: String, serverAddress: String) -> String {
        switch format {
        case .json:
            return Self.jsonLines([
                .object([
                    JSONField("client_version", .string(client)),
                    JSONField("server_version", .string(server)),
                    JSONField("server_address", .string(serverAddress)),
                ])
            ])
        case .table:
            var table = TextTable(headers: ["COMPONENT", "VERSION"])
            table.append(["pachctl", client])
            table.append(["pachd", server])
            return table.render()
        }
    }

    /// `pachctl version --client-only`: no server is asked.
    public func clientVersion(_ client: String) -> String {
        switch format {
        case .json: return Self.jsonLines([.object([JSONField("client_version", .string(client))])])
        case .table: return client + "\n"
        }
    }

    /// An age with the exact time after it, for inspect listings: "3 minutes ago (2026-…Z)".
    func ageWithTime(_ unixNanos: Int64) -> String {
        guard let exact = Timestamp.rfc3339(unixNanos: unixNanos) else { return "-" }
        return "\(HumanFormat.age(unixNanos: unixNanos, nowUnixNanos: nowUnixNanos)) (\(exact))"
    }

    /// A JSON timestamp: an RFC 3339 string, or `null` when not set.
    static func jsonTime(_ unixNanos: Int64) -> JSONValue {
        Timestamp.rfc3339(unixNanos: unixNanos).map(JSONValue.string) ?? .null
    }

    /// "-" for an empty cell, so a column never looks shifted.
    static func dash(_ text: String) -> String {
        text.isEmpty ? "-" : text
    }
}

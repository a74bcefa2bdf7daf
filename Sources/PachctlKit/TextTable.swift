/// A table for people: upper-case headers, columns left-aligned and separated by at least three spaces
/// (as Pachyderm's tabwriter output), no trailing spaces, one row per line.
public struct TextTable: Sendable, Equatable {
    /// Column headers.
    public var headers: [String]
    /// Rows; each has exactly `headers.count` cells.
    public private(set) var rows: [[String]] = []

    /// The spaces between columns.
    static let gap = 3

    /// Creates an empty table.
    public init(headers: [String]) {
        self.headers = headers
    }

    /// Appends a row. A missing cell is a programming error, so it traps with the row in the message.
    public mutating func append(_ row: [String]) {
        precondition(row.count == headers.count, "row \(row) has \(row.count) cells for \(headers.count) headers")
        rows.append(row.map(Self.cell))
    }

    /// The rendered table, ending with a newline.
    public func render() -> String {
        var widths = [Int](repeating: 0, count: headers.count)
        return Self.render([headers] + rows, widths: &widths)
    }

    /// `rows` aligned in columns at least `widths` wide; `widths` grows to fit them.
    static func render(_ rows: [[String]], widths: inout [Int]) -> String {
        for row in rows {
            for (column, cell) in row.enumerated() {
                widths[column] = max(widths[column], cell.count)
            }
        }
        var output = ""
        for row in rows {
            var line = ""
            for (column, cell) in row.enumerated() {
                line += cell
                if column < row.count - 1 {
                    line += String(repeating: " ", count: widths[column] - cell.count + Self.gap)
                }
            }
            output += line.trimmingTrailingSpaces() + "\n"
        }
        return output
    }

    /// A cell is one line: descriptions may hold line breaks or tabs, which would break the columns.
    static func cell(_ text: String) -> String {
        String(text.map { $0 == "\n" || $0 == "\r\n" || $0 == "\r" || $0 == "\t" ? " " : $0 })
    }
}

/// A table printed a block of rows at a time, for listings that stream (a directory of millions): the
/// header comes with the first block, and a column only ever widens, so a short block after a long one
/// stays aligned with it. A listing that fits in one block renders exactly as `TextTable`.
public struct TextTableStream: Sendable {
    public let headers: [String]
    private var widths: [Int]
    private var started = false

    public init(headers: [String]) {
        self.headers = headers
        widths = [Int](repeating: 0, count: headers.count)
    }

    /// The next block's text (with the header if it is the first).
    public mutating func render(_ rows: [[String]]) -> String {
        let cells = rows.map { row in
            precondition(row.count == headers.count, "row \(row) has \(row.count) cells for \(headers.count) headers")
            return row.map(TextTable.cell)
        }
        defer { started = true }
        return TextTable.render(started ? cells : [headers] + cells, widths: &widths)
    }

    /// What ends the table: the header alone when no row came.
    public mutating func finish() -> String {
        started ? "" : render([])
    }
}

/// A "Key: value" listing for one object (the `inspect` commands), values aligned after the longest key.
public struct DetailList: Sendable {
    /// The fields in display order.
    public private(set) var fields: [(key: String, value: String)] = []

    /// Creates an empty listing.
    public init() {}

    /// Appends a field.
    public mutating func append(_ key: String, _ value: String) {
        fields.append((key, value))
    }

    /// The rendered listing, ending with a newline. A multi-line value continues under its first line.
    public func render() -> String {
        let width = fields.map { $0.key.count + 1 }.max() ?? 0
        var output = ""
        for field in fields {
            let label = field.key + ":"
            let indent = String(repeating: " ", count: width + 1)
            let lines = field.value.split(separator: "\n", omittingEmptySubsequences: false)
            var first = true
            for line in lines {
                let prefix = first ? label + String(repeating: " ", count: width - label.count + 1) : indent
                output += (prefix + line).trimmingTrailingSpaces() + "\n"
                first = false
            }
        }
        return output
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        guard let last = lastIndex(where: { $0 != " " }) else { return "" }
        return String(self[...last])
    }
}

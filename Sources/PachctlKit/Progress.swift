/// The line a progress bar shows for a transfer: bytes so far (of the total, when known), the rate, the
/// time left, and a bar. Pure: the caller passes the elapsed time and prints the line (on a terminal
/// only, redrawn in place).
public struct Progress: Sendable, Equatable {
    /// What the transfer is (a file name, "3 files").
    public var label: String
    public var doneBytes: UInt64
    /// Nil when unknown (standard input).
    public var totalBytes: UInt64?
    /// Since the start, in nanoseconds.
    public var elapsedNanos: Int64

    public init(label: String, doneBytes: UInt64, totalBytes: UInt64?, elapsedNanos: Int64) {
        self.label = label
        self.doneBytes = doneBytes
        self.totalBytes = totalBytes
        self.elapsedNanos = elapsedNanos
    }

    /// Bytes per second so far; 0 before any time passed.
    public var bytesPerSecond: Double {
        elapsedNanos > 0 ? Double(doneBytes) / (Double(elapsedNanos) / 1e9) : 0
    }

    /// The line, at most `width` columns (the label is shortened first, from the left).
    public func line(width: Int = 80) -> String {
        let amount = totalBytes.map { "\(HumanFormat.size(doneBytes)) / \(HumanFormat.size($0))" } ?? HumanFormat.size(doneBytes)
        // Converting a Double past the integer's range traps: absurd rates and ETAs are clamped instead.
        let rate = "\(HumanFormat.size(UInt64(exactly: bytesPerSecond.rounded(.down)) ?? .max))/s"
        var parts = [amount, rate]
        if let totalBytes, totalBytes > 0 {
            if doneBytes >= totalBytes {
                parts.append("done in \(Self.clock(elapsedNanos / 1_000_000_000))")
            } else if bytesPerSecond > 0 {
                let left = Double(totalBytes - doneBytes) / bytesPerSecond
                parts.append("ETA \(Self.clock(Int64(exactly: left.rounded(.up)) ?? .max))")
            }
        }
        let numbers = parts.joined(separator: "  ")
        var bar = ""
        if let totalBytes {
            let cells = 20
            // done × cells overflows UInt64 past ~900 PB, so multiply at full width.
            let done = min(doneBytes, totalBytes)
            let filled = totalBytes == 0
                ? cells : Int(totalBytes.dividingFullWidth(done.multipliedFullWidth(by: UInt64(cells))).quotient)
            bar = " [" + String(repeating: "#", count: filled) + String(repeating: ".", count: cells - filled) + "]"
        }
        let room = max(0, width - numbers.count - bar.count - 2)
        var name = label
        if name.count > room { name = room > 1 ? "…" + name.suffix(room - 1) : "" }
        return (name.isEmpty ? "" : name + "  ") + numbers + bar
    }

    /// "0:07", "12:34", "1:02:03".
    static func clock(_ seconds: Int64) -> String {
        let s = max(0, seconds)
        let (h, m, sec) = (s / 3600, (s / 60) % 60, s % 60)
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return h > 0 ? "\(h):\(two(m)):\(two(sec))" : "\(m):\(two(sec))"
    }
}

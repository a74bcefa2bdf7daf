/// Durations as pipeline specs write them (Go's `time.Duration` syntax, as Pachyderm reads them):
/// one or more decimal numbers, each with a unit `ns`, `us` (or `µs`), `ms`, `s`, `m`, `h`, like `90s`,
/// `1m30s`, `1.5h`, `250ms`.
public enum SpecDuration {
    private static let units: [(String, Int64)] = [
        ("ns", 1), ("us", 1_000), ("µs", 1_000), ("ms", 1_000_000), ("s", 1_000_000_000),
        ("m", 60_000_000_000), ("h", 3_600_000_000_000),
    ]

    /// The duration `text` names, or nil when it is not one (or overflows ~292 years).
    public static func parse(_ text: String) -> Duration? {
        var rest = Substring(text)
        guard !rest.isEmpty else { return nil }
        var total: Int64 = 0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, number.filter({ $0 == "." }).count <= 1, number != "." else { return nil }
            rest = rest.dropFirst(number.count)
            // The longest unit that matches ("ms" before "m").
            guard let (unit, scale) = units.filter({ rest.hasPrefix($0.0) }).max(by: { $0.0.count < $1.0.count }) else {
                return nil
            }
            rest = rest.dropFirst(unit.count)
            let parts = number.split(separator: ".", omittingEmptySubsequences: false)
            guard let whole = parts[0].isEmpty ? 0 : Int64(parts[0]) else { return nil }
            var nanos = whole.multipliedReportingOverflow(by: scale)
            guard !nanos.overflow else { return nil }
            if parts.count == 2 {
                // The fraction, exact to the nanosecond: at most as many digits as the scale has.
                var fraction: Int64 = 0
                var place = scale
                for digit in parts[1] {
                    place /= 10
                    fraction += Int64(digit.wholeNumberValue!) * place
                }
                nanos = nanos.partialValue.addingReportingOverflow(fraction)
                guard !nanos.overflow else { return nil }
            }
            let sum = total.addingReportingOverflow(nanos.partialValue)
            guard !sum.overflow else { return nil }
            total = sum.partialValue
        }
        return .nanoseconds(total)
    }

    /// `duration` in the same syntax, shortest first: `1h30m`, `90s`, `250ms`, `1.5s`.
    public static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let nanos = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        if nanos == 0 { return "0s" }
        if nanos % 1_000_000_000 != 0 {
            if nanos < 1_000 { return "\(nanos)ns" }
            if nanos % 1_000_000 == 0 && nanos < 1_000_000_000 { return "\(nanos / 1_000_000)ms" }
            return "\(decimal(nanos, scale: 1_000_000_000))s"
        }
        var rest = nanos / 1_000_000_000
        var text = ""
        if rest >= 3_600 {
            text += "\(rest / 3_600)h"
            rest %= 3_600
        }
        if rest >= 60 {
            text += "\(rest / 60)m"
            rest %= 60
        }
        if rest > 0 { text += "\(rest)s" }
        return text
    }

    /// `value / scale` as a decimal without trailing zeros.
    private static func decimal(_ value: Int64, scale: Int64) -> String {
        var fraction = String(value % scale)
        fraction = String(repeating: "0", count: String(scale).count - 1 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(value / scale).\(fraction)"
    }
}

/// Sizes, ages and durations for people, in the style of Pachyderm's pachctl ("1.2 MiB",
/// "3 minutes ago", "about an hour"). Pure: the current time is passed in.
public enum HumanFormat {
    static let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]

    /// Binary units with one decimal: "0 B", "512 B", "1.0 KiB", "1.2 MiB", "1023.9 KiB" rounds up to
    /// "1.0 MiB" rather than showing "1024.0 KiB".
    public static func size(_ bytes: UInt64) -> String {
        if bytes < 1024 { return "\(bytes) B" }
        var unit = 0
        var value = Double(bytes)
        while unit < units.count - 1 && (value * 10).rounded() / 10 >= 1024 {
            value /= 1024
            unit += 1
        }
        let tenths = UInt64((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) \(units[unit])"
    }

    /// "3 minutes ago" for a timestamp in Unix nanoseconds; "-" when the timestamp is 0 (not set).
    /// A time in the future (clock skew between this machine and the node) reads as "just now".
    public static func age(unixNanos: Int64, nowUnixNanos: Int64) -> String {
        if unixNanos == 0 { return "-" }
        let elapsed = nowUnixNanos &- unixNanos
        if elapsed < 1_000_000_000 { return elapsed < 0 ? "just now" : "less than a second ago" }
        return duration(nanos: elapsed) + " ago"
    }

    /// A duration in the words of Docker's `HumanDuration`, which Pachyderm uses: "less than a second",
    /// "1 second", "45 seconds", "about a minute", "12 minutes", "about an hour", "5 hours", "3 days",
    /// "2 weeks", "4 months", "2 years".
    public static func duration(nanos: Int64) -> String {
        let seconds = max(nanos, 0) / 1_000_000_000
        let minutes = seconds / 60
        let hours = minutes / 60
        switch seconds {
        case ..<1: return "less than a second"
        case 1: return "1 second"
        case ..<60: return "\(seconds) seconds"
        default: break
        }
        switch minutes {
        case 1: return "about a minute"
        case ..<60: return "\(minutes) minutes"
        default: break
        }
        switch hours {
        case 1: return "about an hour"
        case ..<48: return "\(hours) hours"
        case ..<(24 * 7 * 2): return "\(hours / 24) days"
        case ..<(24 * 30 * 2): return "\(hours / 24 / 7) weeks"
        case ..<(24 * 365 * 2): return "\(hours / 24 / 30) months"
        default: return "\(hours / 24 / 365) years"
        }
    }

    /// How long a commit took: "-" while it is open (no finish time).
    public static func commitDuration(startedUnixNanos: Int64, finishedUnixNanos: Int64) -> String {
        guard startedUnixNanos != 0, finishedUnixNanos != 0 else { return "-" }
        return duration(nanos: finishedUnixNanos &- startedUnixNanos)
    }

    /// Milliseconds since a node was last heard from, compact for a table column: "self", "never",
    /// "40ms", "2.5s", "3m".
    public static func lastContact(ms: Int64, isSelf: Bool) -> String {
        if isSelf { return "self" }
        if ms < 0 { return "never" }
        if ms < 1000 { return "\(ms)ms" }
        if ms < 60_000 {
            let tenths = (ms + 50) / 100
            return "\(tenths / 10).\(tenths % 10)s"
        }
        if ms < 3_600_000 { return "\(ms / 60_000)m" }
        return "\(ms / 3_600_000)h"
    }
}

/// RFC 3339 timestamps in UTC for JSON output, computed without a calendar library so the result is
/// the same on every platform: "2026-11-20T10:00:00Z", "2026-11-20T10:00:00.250Z".
public enum Timestamp {
    /// The RFC 3339 text of a Unix-nanosecond timestamp, or nil for 0 ("not set" in pfs.proto).
    /// Fractions use 3, 6 or 9 digits as protobuf's JSON mapping does.
    public static func rfc3339(unixNanos: Int64) -> String? {
        if unixNanos == 0 { return nil }
        let (secondsTotal, nanos) = floorDivide(unixNanos, 1_000_000_000)
        let (days, secondOfDay) = floorDivide(secondsTotal, 86_400)
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        let hour = secondOfDay / 3600
        let minute = secondOfDay % 3600 / 60
        let second = secondOfDay % 60
        var text = "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2))"
        if nanos != 0 {
            if nanos % 1_000_000 == 0 {
                text += "." + pad(nanos / 1_000_000, 3)
            } else if nanos % 1000 == 0 {
                text += "." + pad(nanos / 1000, 6)
            } else {
                text += "." + pad(nanos, 9)
            }
        }
        return text + "Z"
    }

    /// Division rounding toward negative infinity, so times before 1970 land on the right day.
    static func floorDivide(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
        var quotient = value / divisor
        var remainder = value % divisor
        if remainder < 0 {
            quotient -= 1
            remainder += divisor
        }
        return (quotient, remainder)
    }

    /// Year, month, day of a day count since 1970-01-01 (proleptic Gregorian), after Howard Hinnant's
    /// `civil_from_days`.
    static func civilDate(daysSinceEpoch: Int64) -> (Int64, Int64, Int64) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}

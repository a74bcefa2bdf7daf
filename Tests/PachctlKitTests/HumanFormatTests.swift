import Testing
@testable import PachctlKit

struct HumanFormatTests {
    @Test(arguments: [
        (UInt64(0), "0 B"), (1, "1 B"), (1023, "1023 B"), (1024, "1.0 KiB"), (1536, "1.5 KiB"),
        (1_258_291, "1.2 MiB"), (1_048_575, "1.0 MiB"), (10 * 1_048_576, "10.0 MiB"),
        (5 * 1_073_741_824 + 536_870_912, "5.5 GiB"), (1_099_511_627_776, "1.0 TiB"), (UInt64.max, "16.0 EiB"),
    ] as [(UInt64, String)])
    func sizes(bytes: UInt64, text: String) {
        #expect(HumanFormat.size(bytes) == text)
    }

    static let second: Int64 = 1_000_000_000
    static let now: Int64 = 1_795_168_800 * second  // 2026-11-20T10:00:00Z

    @Test(arguments: [
        (Int64(0), "-"),
        (now, "less than a second ago"),
        (now - 999_999_999, "less than a second ago"),
        (now + 5 * second, "just now"),
        (now - 1 * second, "1 second ago"),
        (now - 45 * second, "45 seconds ago"),
        (now - 60 * second, "about a minute ago"),
        (now - 119 * second, "about a minute ago"),
        (now - 180 * second, "3 minutes ago"),
        (now - 3600 * second, "about an hour ago"),
        (now - 5 * 3600 * second, "5 hours ago"),
        (now - 47 * 3600 * second, "47 hours ago"),
        (now - 3 * 86_400 * second, "3 days ago"),
        (now - 15 * 86_400 * second, "2 weeks ago"),
        (now - 90 * 86_400 * second, "3 months ago"),
        (now - 800 * 86_400 * second, "2 years ago"),
    ] as [(Int64, String)])
    func ages(at: Int64, text: String) {
        #expect(HumanFormat.age(unixNanos: at, nowUnixNanos: Self.now) == text)
    }

    @Test(arguments: [
        (Int64(0), Int64(0), "-"), (now, 0, "-"), (now, now + 250_000_000, "less than a second"),
        (now, now + 12 * second, "12 seconds"),
    ] as [(Int64, Int64, String)])
    func commitDurations(started: Int64, finished: Int64, text: String) {
        #expect(HumanFormat.commitDuration(startedUnixNanos: started, finishedUnixNanos: finished) == text)
    }

    @Test(arguments: [
        (Int64(0), true, "self"), (-1, false, "never"), (0, false, "0ms"), (40, false, "40ms"), (2_460, false, "2.5s"),
        (180_000, false, "3m"), (7_200_000, false, "2h"),
    ] as [(Int64, Bool, String)])
    func lastContact(ms: Int64, isSelf: Bool, text: String) {
        #expect(HumanFormat.lastContact(ms: ms, isSelf: isSelf) == text)
    }

    @Test(arguments: [
        (Int64(0), nil),
        (now, "2026-11-20T10:00:00Z"),
        (now + 250_000_000, "2026-11-20T10:00:00.250Z"),
        (now + 123_456_000, "2026-11-20T10:00:00.123456Z"),
        (now + 1, "2026-11-20T10:00:00.000000001Z"),
        (11_016 * 86_400 * second + 86_399 * second, "2000-02-29T23:59:59Z"),
        (-1 * second, "1969-12-31T23:59:59Z"),
        (-1, "1969-12-31T23:59:59.999999999Z"),
    ] as [(Int64, String?)])
    func rfc3339(nanos: Int64, text: String?) {
        #expect(Timestamp.rfc3339(unixNanos: nanos) == text)
    }
}

import Testing
@testable import PachctlKit

/// The progress line of `put file` / `get file`: bytes (of the total), rate, time left or taken, and a
/// 20-cell bar when the total is known; at most `width` columns, the label shortened from the left.
struct ProgressTests {
    static let second: Int64 = 1_000_000_000
    static let mib: UInt64 = 1 << 20

    static func line(
        _ label: String = "cats.tar", done: UInt64, total: UInt64?, elapsed: Int64, width: Int = 80
    ) -> String {
        Progress(label: label, doneBytes: done, totalBytes: total, elapsedNanos: elapsed).line(width: width)
    }

    @Test(arguments: [
        (Int64(0), 0.0), (-1, 0.0), (second / 2, 2_097_152.0), (4 * second, 262_144.0),
    ] as [(Int64, Double)])
    func rateOfOneMebibyte(elapsed: Int64, bytesPerSecond: Double) {
        let progress = Progress(label: "x", doneBytes: Self.mib, totalBytes: nil, elapsedNanos: elapsed)
        #expect(progress.bytesPerSecond == bytesPerSecond)
    }

    @Test func halfway() {
        #expect(
            Self.line(done: Self.mib / 2, total: Self.mib, elapsed: 2 * Self.second)
                == "cats.tar  512.0 KiB / 1.0 MiB  256.0 KiB/s  ETA 0:02 [##########..........]")
    }

    @Test func finishedShowsTheTimeTaken() {
        #expect(
            Self.line(done: Self.mib, total: Self.mib, elapsed: 65 * Self.second + Self.second / 2)
                == "cats.tar  1.0 MiB / 1.0 MiB  15.6 KiB/s  done in 1:05 [####################]")
    }

    @Test func moreThanTheTotalCountsAsDone() {
        // A file that grew while it was read.
        #expect(Self.line(done: 150, total: 100, elapsed: Self.second) == "cats.tar  150 B / 100 B  150 B/s  done in 0:01 [####################]")
    }

    @Test func unknownTotalHasNoBarAndNoETA() {
        #expect(Self.line("/stdin.txt", done: 3 * Self.mib, total: nil, elapsed: 3 * Self.second) == "/stdin.txt  3.0 MiB  1.0 MiB/s")
        #expect(Self.line("/stdin.txt", done: 0, total: nil, elapsed: 0) == "/stdin.txt  0 B  0 B/s")
    }

    @Test func noRateYetMeansNoETA() {
        #expect(Self.line(done: 0, total: 100, elapsed: 0) == "cats.tar  0 B / 100 B  0 B/s [....................]")
        #expect(Self.line(done: 0, total: 100, elapsed: 5 * Self.second) == "cats.tar  0 B / 100 B  0 B/s [....................]")
        #expect(Self.line(done: 50, total: 100, elapsed: -Self.second) == "cats.tar  50 B / 100 B  0 B/s [##########..........]")
    }

    @Test func emptyFileHasAFullBar() {
        #expect(Self.line("empty", done: 0, total: 0, elapsed: 0) == "empty  0 B / 0 B  0 B/s [####################]")
    }

    @Test func etaRoundsUpAndBarRoundsDown() {
        // 1 byte left at 1000 B/s is 1 ms: shown as a second, never as "0:00" while not done.
        #expect(Self.line(done: 1000, total: 1001, elapsed: Self.second) == "cats.tar  1000 B / 1001 B  1000 B/s  ETA 0:01 [###################.]")
    }

    @Test func etaInHours() {
        #expect(
            Self.line(done: Self.mib, total: 10 << 30, elapsed: Self.second)
                == "cats.tar  1.0 MiB / 10.0 GiB  1.0 MiB/s  ETA 2:50:39 [....................]")
    }

    @Test func hugeSizesDoNotOverflow() {
        #expect(
            Self.line(done: UInt64.max / 2, total: UInt64.max, elapsed: Self.second)
                == "cats.tar  8.0 EiB / 16.0 EiB  8.0 EiB/s  ETA 0:01 [#########...........]")
        #expect(Self.line("big", done: UInt64.max, total: nil, elapsed: 1) == "big  16.0 EiB  16.0 EiB/s")
        #expect(
            Self.line(done: UInt64.max, total: UInt64.max, elapsed: 1)
                == "cats.tar  16.0 EiB / 16.0 EiB  16.0 EiB/s  done in 0:00 [####################]")
        // A crawl against a huge total: the time left is past Int64 seconds, clamped rather than a trap.
        #expect(
            Self.line(done: 1, total: UInt64.max, elapsed: 10 * Self.second, width: 100)
                == "cats.tar  1 B / 16.0 EiB  0 B/s  ETA 2562047788015215:30:07 [....................]")
    }

    static let longLabel = "/a/very/long/path/to/some/file.bin"

    @Test func longLabelIsShortenedFromTheLeftToFitTheWidth() {
        let line = Self.line(Self.longLabel, done: Self.mib / 2, total: Self.mib, elapsed: 2 * Self.second)
        #expect(line == "…ome/file.bin  512.0 KiB / 1.0 MiB  256.0 KiB/s  ETA 0:02 [##########..........]")
        #expect(line.count == 80)
    }

    @Test func labelThatFitsIsKept() {
        let label = "/cats/tom.txt"  // 13 columns: exactly the room left at width 80
        let line = Self.line(label, done: Self.mib / 2, total: Self.mib, elapsed: 2 * Self.second)
        #expect(line == "/cats/tom.txt  512.0 KiB / 1.0 MiB  256.0 KiB/s  ETA 0:02 [##########..........]")
        #expect(line.count == 80)
    }

    @Test(arguments: [
        (69, "…n  512.0 KiB / 1.0 MiB  256.0 KiB/s  ETA 0:02 [##########..........]"),
        // No room for more than "…": the label is dropped; the numbers and bar are never cut.
        (68, "512.0 KiB / 1.0 MiB  256.0 KiB/s  ETA 0:02 [##########..........]"),
        (20, "512.0 KiB / 1.0 MiB  256.0 KiB/s  ETA 0:02 [##########..........]"),
    ])
    func narrowTerminals(width: Int, line: String) {
        #expect(Self.line(Self.longLabel, done: Self.mib / 2, total: Self.mib, elapsed: 2 * Self.second, width: width) == line)
    }

    @Test(arguments: [
        (Int64(0), "0:00"), (7, "0:07"), (60, "1:00"), (754, "12:34"), (3599, "59:59"), (3600, "1:00:00"),
        (3723, "1:02:03"), (100 * 3600, "100:00:00"), (-5, "0:00"),
    ] as [(Int64, String)])
    func clock(seconds: Int64, text: String) {
        #expect(Progress.clock(seconds) == text)
    }
}

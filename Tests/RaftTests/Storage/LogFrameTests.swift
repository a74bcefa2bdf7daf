import Testing
@testable import Raft

extension StorageTests {
    @Suite struct LogFrameTests {
        private let entries = [
            Entry(term: 3, index: 10, kind: .normal, data: [1, 2, 3]),
            Entry(term: 3, index: 11, kind: .configChange, data: ConfigChange(.addVoter, node: 4).encoded),
            Entry(term: 4, index: 12, kind: .noop, data: []),
        ]

        @Test func recordsRoundTripInOrder() throws {
            let hardState = HardState(term: 4, vote: 2, commit: 11)
            let marker = SnapshotMarker(index: 9, term: 3)
            let frame = try LogFrame.encode(hardState: hardState, entries: entries, marker: marker)
            guard case .intact(let payload, let end) = LogFrame.scan(frame, at: 0) else {
                Issue.record("frame does not scan as intact")
                return
            }
            #expect(end == frame.count)
            let records = try LogFrame.decode(frame, payload: payload)
            #expect(records == [.snapshotMarker(marker)] + entries.map { .entry($0) } + [.hardState(hardState)])
        }

        @Test func damageIsClassified() throws {
            let frame = try LogFrame.encode(hardState: HardState(term: 1), entries: entries, marker: nil)
            #expect(LogFrame.scan(Array(frame[..<15]), at: 0) == .damaged(.incompleteHeader))
            #expect(LogFrame.scan(Array(frame.dropLast()), at: 0) == .damaged(.pastEnd(end: frame.count)))
            var badHeader = frame
            badHeader[5] ^= 0x01
            #expect(LogFrame.scan(badHeader, at: 0) == .damaged(.badHeader))
            var badPayload = frame
            badPayload[20] ^= 0x80
            #expect(LogFrame.scan(badPayload, at: 0) == .damaged(.badPayload(end: frame.count)))
        }

        @Test func tornTailRules() throws {
            let frame = try LogFrame.encode(hardState: HardState(term: 1), entries: entries, marker: nil)
            var badPayload = frame
            badPayload[20] ^= 0x80
            #expect(LogFrame.isTornTail(badPayload, at: 0, damage: .badPayload(end: frame.count)))
            // The same damage followed by another intact frame is not a torn write.
            #expect(!LogFrame.isTornTail(badPayload + frame, at: 0, damage: .badPayload(end: frame.count)))
            var badHeader = frame
            badHeader[2] ^= 0x01
            #expect(LogFrame.isTornTail(badHeader, at: 0, damage: .badHeader))
            #expect(!LogFrame.isTornTail(badHeader + frame, at: 0, damage: .badHeader))
            #expect(LogFrame.isTornTail([UInt8](repeating: 0, count: 100), at: 0, damage: .badHeader))
        }
    }

    @Suite struct ReplayLogTests {
        @Test func laterEntriesReplaceTheSuffix() throws {
            var log = ReplayLog()
            for entry in makeEntries(1...5, term: 1) { try log.apply(.entry(entry)) }
            for entry in makeEntries(3...4, term: 2) { try log.apply(.entry(entry)) }
            #expect(log.entries == makeEntries(1...2, term: 1) + makeEntries(3...4, term: 2))
        }

        @Test func markerRestartsTheLog() throws {
            var log = ReplayLog()
            for entry in makeEntries(1...5, term: 1) { try log.apply(.entry(entry)) }
            try log.apply(.snapshotMarker(SnapshotMarker(index: 8, term: 2)))
            #expect(log.entries.isEmpty && log.lastIndex == 8)
            #expect(throws: StorageFormatError.self) { try log.apply(.entry(makeEntries(10...10, term: 2)[0])) }
            #expect(throws: StorageFormatError.self) { try log.apply(.entry(makeEntries(8...8, term: 2)[0])) }
            try log.apply(.entry(makeEntries(9...9, term: 2)[0]))
            #expect(log.entries == makeEntries(9...9, term: 2))
        }

        @Test func gapsAreRejected() throws {
            var log = ReplayLog()
            for entry in makeEntries(4...5, term: 1) { try log.apply(.entry(entry)) }
            #expect(throws: StorageFormatError.self) { try log.apply(.entry(makeEntries(7...7, term: 1)[0])) }
        }

        /// Replay of segments left after compaction starts mid-history; an older index starts it over.
        @Test func entryBelowTheFirstStartsOverWithoutMarker() throws {
            var log = ReplayLog()
            for entry in makeEntries(10...12, term: 1) { try log.apply(.entry(entry)) }
            try log.apply(.entry(makeEntries(7...7, term: 2)[0]))
            #expect(log.entries == makeEntries(7...7, term: 2))
        }
    }
}

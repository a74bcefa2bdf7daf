@testable import Raft
import Testing

extension DriverTests {
    @Suite
    struct ClientSessionsTests {
        let alice = ClientID(low: 1)
        let bob = ClientID(high: 7, low: 2)

        @Test func newLatestAndOlderSequences() {
            var sessions = ClientSessions()
            #expect(sessions.verdict(client: alice, sequence: 1) == .apply)
            sessions.record(client: alice, sequence: 1, result: [1], at: 10)
            #expect(sessions.verdict(client: alice, sequence: 1) == .duplicate(result: [1]))
            #expect(sessions.verdict(client: alice, sequence: 2) == .apply)
            sessions.record(client: alice, sequence: 3, result: [3], at: 11)
            #expect(sessions.verdict(client: alice, sequence: 2) == .stale(latest: 3))
            #expect(sessions.verdict(client: bob, sequence: 1) == .apply)
        }

        @Test func clientNoneIsNeverTracked() {
            var sessions = ClientSessions()
            sessions.record(client: .none, sequence: 1, result: [], at: 1)
            #expect(sessions.count == 0)
            #expect(sessions.verdict(client: .none, sequence: 1) == .apply)
        }

        @Test func idleSessionsAreEvictedAfterIdleEntries() {
            var sessions = ClientSessions(idleEntries: 100, maxSessions: 10)
            sessions.record(client: alice, sequence: 1, result: nil, at: 1)
            sessions.record(client: bob, sequence: 1, result: nil, at: 50)
            sessions.record(client: alice, sequence: 2, result: nil, at: 60)
            sessions.expire(at: 149)
            #expect(sessions.count == 2)
            sessions.expire(at: 150)
            #expect(sessions.sessions.keys.sorted() == [alice], "bob idle since 50")
            sessions.expire(at: 160)
            #expect(sessions.count == 0)
        }

        @Test func leastRecentlyActiveGoFirstOverTheCap() {
            var sessions = ClientSessions(idleEntries: 1_000, maxSessions: 2)
            let carol = ClientID(low: 3)
            sessions.record(client: alice, sequence: 1, result: nil, at: 1)
            sessions.record(client: bob, sequence: 1, result: nil, at: 2)
            sessions.record(client: alice, sequence: 2, result: nil, at: 3)
            sessions.record(client: carol, sequence: 1, result: nil, at: 4)
            #expect(Set(sessions.sessions.keys) == [alice, carol])
        }

        @Test func encodingRoundTripsAndIsDeterministic() throws {
            var sessions = ClientSessions(idleEntries: 500, maxSessions: 50)
            sessions.record(client: bob, sequence: 9, result: [0xFF, 0], at: 3)
            sessions.record(client: alice, sequence: 4, result: nil, at: 5)
            let bytes = sessions.encoded()
            let decoded = try ClientSessions(decoding: bytes, idleEntries: 500, maxSessions: 50)
            #expect(decoded == sessions)
            #expect(decoded.encoded() == bytes)
            // Eviction order survives decoding: bob (active at 3) goes first.
            var evicting = decoded
            evicting.expire(at: 503)
            #expect(Array(evicting.sessions.keys) == [alice])
        }

        @Test func truncatedTableIsRejected() {
            var sessions = ClientSessions()
            sessions.record(client: alice, sequence: 1, result: [1, 2, 3], at: 1)
            let bytes = sessions.encoded()
            for cut in [0, 1, 5, bytes.count - 1] {
                #expect(throws: RaftError.self) {
                    try ClientSessions(decoding: Array(bytes.prefix(cut)), idleEntries: 10, maxSessions: 10)
                }
            }
        }

        @Test func envelopesRoundTripInLittleEndian() throws {
            let envelope = ProposalEnvelope(client: bob, sequence: 0x0102, origin: 3, requestID: 4, payload: [9, 9])
            let bytes = envelope.encoded
            #expect(bytes.count == ProposalEnvelope.headerBytes + 2)
            #expect(Array(bytes[0...3]) == [1, 2, 0, 0], "version, then client low half little-endian")
            #expect(try ProposalEnvelope(decoding: bytes) == envelope)
            #expect(throws: RaftError.self) { try ProposalEnvelope(decoding: Array(bytes.prefix(20))) }
            let snapshot = SnapshotEnvelope(sessions: [1, 2], stateMachineData: [3])
            #expect(try SnapshotEnvelope(decoding: snapshot.encoded) == snapshot)
        }
    }
}

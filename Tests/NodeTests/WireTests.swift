import Foundation
import PachAPI
import Raft
import Testing
@testable import Node

/// Raft values → protobuf → Raft values, for every message kind, entry kind and error.
struct WireTests {
    static let entryKinds: [EntryKind] = [.normal, .configChange, .noop]

    /// A message of `kind` with every field set to something other than its default.
    static func message(_ kind: MessageKind) -> Message {
        let snapshot = kind == .installSnapshot
            ? Snapshot(metadata: SnapshotMetadata(index: 40, term: 3, configuration: Configuration(voters: [1, 2, 3], learners: [4])),
                       data: Array("state".utf8))
            : nil
        return Message(
            kind: kind, from: 1, to: 2, term: 7, logTerm: 6, index: 41,
            entries: entryKinds.enumerated().map { Entry(term: 6, index: 42 + UInt64($0.offset), kind: $0.element, data: [UInt8($0.offset), 0xFF]) },
            commit: 40, reject: true, rejectHint: 39, snapshot: snapshot, context: Array("ctx".utf8))
    }

    @Test(arguments: MessageKind.allCases)
    func everyMessageKindRoundTrips(_ kind: MessageKind) throws {
        let original = Self.message(kind)
        let wire = Raftpb_Message(original)
        // Through bytes too: what the peer actually parses.
        let parsed = try Raftpb_Message(serializedBytes: try wire.serializedBytes() as [UInt8])
        let back = try Message(parsed, snapshotData: original.snapshot?.data ?? [])
        #expect(back == original)
    }

    @Test(arguments: MessageKind.allCases)
    func protoNumbersAreTheSwiftRawValuePlusOne(_ kind: MessageKind) {
        #expect(Raftpb_MessageKind(kind).rawValue == Int(kind.rawValue) + 1)
    }

    @Test func snapshotDataNeverTravelsInTheMessage() {
        let wire = Raftpb_Message(Self.message(.installSnapshot))
        #expect(wire.hasSnapshot)
        #expect(wire.snapshot.index == 40)
        #expect(wire.snapshot.configuration.voters == [1, 2, 3])
        #expect(!Raftpb_Message(Self.message(.heartbeat)).hasSnapshot)
    }

    @Test(arguments: entryKinds)
    func everyEntryKindRoundTrips(_ kind: EntryKind) throws {
        let entry = Entry(term: 2, index: 9, kind: kind, data: Array(repeating: 7, count: 300))
        #expect(try Entry(Raftpb_Entry(entry)) == entry)
        #expect(Raftpb_EntryKind(kind).rawValue == Int(kind.rawValue))
    }

    @Test func unknownKindsAreRejected() {
        var wire = Raftpb_Message(Self.message(.append))
        wire.kind = .unspecified
        #expect(throws: WireError("message kind is unspecified")) { _ = try Message(wire) }
        wire.kind = .UNRECOGNIZED(99)
        #expect(throws: WireError("unknown message kind 99")) { _ = try Message(wire) }
        wire.kind = .append
        wire.entries[0].kind = .UNRECOGNIZED(5)
        #expect(throws: WireError("unknown entry kind 5")) { _ = try Message(wire) }
    }

    static let errors: [RaftError] = [
        .noLeader, .proposalDropped("transfer in progress"), .configChangePending, .invalidConfigChange("no such node"),
        .invalidMessage("term"), .compacted(12), .unavailable(99), .stopped, .timeout,
        .corruptStorage("segment 3 offset 10"), .storage("disk full"),
    ]

    @Test(arguments: errors)
    func everyRaftErrorRoundTrips(_ error: RaftError) {
        let failure = Raftpb_RaftFailure(error, leaderHint: 3)
        #expect(failure.leaderHint == 3)
        #expect(RaftError(failure) == error)
    }

    @Test func statusCarriesEveryField() {
        var status = RaftStatus(id: 2)
        status.term = 5
        status.role = .leader
        status.leader = 2
        status.commitIndex = 10
        status.appliedIndex = 9
        status.lastIndex = 11
        status.snapshotIndex = 4
        status.configuration = Configuration(voters: [3, 1, 2], learners: [4])
        let wire = Raftpb_StatusResponse(status, version: "v", apiAddress: "a", peerAddress: "p")
        #expect(wire.nodeID == 2 && wire.role == .leader && wire.term == 5 && wire.leaderID == 2)
        #expect(wire.commitIndex == 10 && wire.appliedIndex == 9 && wire.lastIndex == 11 && wire.snapshotIndex == 4)
        #expect(wire.configuration.voters == [1, 2, 3] && wire.configuration.learners == [4])
        #expect(Configuration(wire.configuration) == status.configuration)
        for role in [Role.follower, .preCandidate, .candidate, .leader] { #expect(Role(Raftpb_Role(role)) == role) }
    }

    @Test func theCRC32CIsCRC32C() {
        // The standard check value of CRC-32C, and the iSCSI test vector of 32 zero bytes.
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        var split = CRC32C()
        split.update(Array("1234".utf8))
        split.update(Array("56789".utf8))
        #expect(split.value == 0xE306_9283)
    }
}

/// The pieces of the transport that need no sockets.
struct PeerPartsTests {
    static func heartbeat(_ index: UInt64, bytes: Int = 0) -> Message {
        Message(kind: .append, from: 1, to: 2, term: 1, index: index,
                entries: bytes > 0 ? [Entry(term: 1, index: index + 1, data: [UInt8](repeating: 1, count: bytes))] : [])
    }

    @Test func requestsArePackedInOrderUnderTheByteLimit() {
        let messages = (0..<10).map { Self.heartbeat(UInt64($0), bytes: 1000) }
        let requests = PeerLink.requests(for: messages, bytesMax: 3000)
        #expect(requests.map(\.messages.count) == [2, 2, 2, 2, 2])
        #expect(requests.flatMap(\.messages).map(\.index) == Array(0..<10))
        // A message larger than the limit travels alone.
        #expect(PeerLink.requests(for: [Self.heartbeat(0, bytes: 10_000)], bytesMax: 3000).count == 1)
        #expect(PeerLink.requests(for: [], bytesMax: 3000).isEmpty)
    }

    @Test func aClosedOutboxDropsEverything() async {
        let outbox = PeerOutbox(limits: .init())
        #expect(outbox.offer([Self.heartbeat(1)]) == 1)
        outbox.open()
        #expect(outbox.offer([Self.heartbeat(1), Self.heartbeat(2)]) == 0)
        #expect(await outbox.next()?.map(\.index) == [1, 2])
        #expect(outbox.offer([Self.heartbeat(3)]) == 0)
        #expect(outbox.close() == 1)
        #expect(await outbox.next() == nil)
    }

    @Test func aFullOutboxDropsTheRest() {
        let outbox = PeerOutbox(limits: .init(messagesMax: 3, bytesMax: 1 << 20))
        outbox.open()
        #expect(outbox.offer((0..<5).map { Self.heartbeat(UInt64($0)) }) == 2)
        let bytesBound = PeerOutbox(limits: .init(messagesMax: 100, bytesMax: 2500))
        bytesBound.open()
        #expect(bytesBound.offer((0..<5).map { Self.heartbeat(UInt64($0), bytes: 1000) }) == 3)
    }

    @Test func aWaitingConsumerIsWokenByAnOfferAndByCancellation() async {
        let outbox = PeerOutbox(limits: .init())
        outbox.open()
        async let batch = outbox.next()
        try? await Task.sleep(for: .milliseconds(50))
        _ = outbox.offer([Self.heartbeat(7)])
        #expect(await batch?.map(\.index) == [7])
        let waiting = Task { await outbox.next() }
        try? await Task.sleep(for: .milliseconds(50))
        waiting.cancel()
        #expect(await waiting.value == nil)
        #expect(!outbox.isOpen)
    }

    @Test func backoffDoublesUpToItsCapAndResets() {
        var backoff = Backoff(initial: .milliseconds(50), max: .milliseconds(300))
        #expect((0..<5).map { _ in backoff.next() } == [50, 100, 200, 300, 300].map { Duration.milliseconds($0) })
        backoff.reset()
        #expect(backoff.next() == .milliseconds(50))
    }

    @Test func theMostCaughtUpVoterIsChosen() {
        func status(_ id: UInt64, last: UInt64, applied: UInt64) -> Raftpb_StatusResponse {
            var status = Raftpb_StatusResponse()
            status.nodeID = id
            status.lastIndex = last
            status.appliedIndex = applied
            return status
        }
        #expect(GracefulShutdown.mostCaughtUp([]) == nil)
        #expect(GracefulShutdown.mostCaughtUp([status(2, last: 9, applied: 9), status(3, last: 10, applied: 8)]) == 3)
        #expect(GracefulShutdown.mostCaughtUp([status(2, last: 10, applied: 9), status(3, last: 10, applied: 8)]) == 2)
        #expect(GracefulShutdown.mostCaughtUp([status(3, last: 10, applied: 9), status(2, last: 10, applied: 9)]) == 2)
    }

    @Test func logLinesRedactTokensAndQuoteSpaces() {
        let line = LineLogHandler.format(timestamp: "T", level: .info, label: "pachd", message: "hello",
                                         metadata: ["peer.node": "2", "auth.token": "s3cret", "peer.error": "no route"])
        #expect(line == "T info pachd: hello auth.token=<redacted> peer.error=\"no route\" peer.node=2")
        #expect(!line.contains("s3cret"))
        let stamp = LineLogHandler.timestamp()
        #expect(stamp.count == 24 && stamp.hasSuffix("Z"))
    }

    @Test func clusterStatusMarksAnUnreachableMemberDownWithItsLastValues() {
        var last = Raftpb_StatusResponse()
        last.nodeID = 3
        last.role = .leader
        last.term = 4
        last.commitIndex = 20
        last.apiAddress = "127.0.0.1:30653"
        let configuration = Configuration(voters: [1, 2, 3])
        let heard = ContinuousClock.now - .milliseconds(1500)
        let down = ClusterStatusCollector.node(3, .failure(TestFailure("connection refused")), configuration: configuration,
                                               contact: .init(lastHeard: heard, lastStatus: last), peerAddress: nil)
        #expect(!down.up && down.role == .unspecified && !down.isLeader)
        #expect(down.term == 4 && down.commitIndex == 20 && down.apiAddress == "127.0.0.1:30653")
        #expect(down.membership == .voter)
        #expect(down.error == "unreachable: connection refused")
        #expect(down.lastContactMs >= 1500 && down.lastContactMs < 10_000)
        let never = ClusterStatusCollector.node(4, nil, configuration: configuration, contact: .init(),
                                                peerAddress: HostPort(host: "127.0.0.1", port: 30754))
        #expect(never.lastContactMs == -1 && never.peerAddress == "127.0.0.1:30754" && never.membership == .unspecified)
        let up = ClusterStatusCollector.node(3, .success(last), configuration: configuration, contact: .init(lastHeard: .now),
                                             peerAddress: nil)
        #expect(up.up && up.isLeader && up.role == .leader && up.lastContactMs < 1000)
    }
}

import Raft
import Synchronization
import Testing
@testable import PFS

@Suite struct MemberCommandTests {
    @Test func registerRecordsAddressesAndReRegisterReplacesThem() {
        var fixture = Fixture()
        let first = fixture.run(.registerMember(id: 2, apiAddress: "127.0.0.1:30652", peerAddress: "127.0.0.1:30752",
                                                atNanos: 5))
        #expect(first == .member(MemberInfo(id: 2, apiAddress: "127.0.0.1:30652", peerAddress: "127.0.0.1:30752",
                                            isUp: true, changedAtNanos: 5)))
        // The same addresses again change nothing, not even the time.
        _ = fixture.run(.registerMember(id: 2, apiAddress: "127.0.0.1:30652", peerAddress: "127.0.0.1:30752", atNanos: 9))
        #expect(fixture.state.listMembers().map(\.changedAtNanos) == [5])
        _ = fixture.run(.registerMember(id: 2, apiAddress: "10.0.0.2:1", peerAddress: "10.0.0.2:2", atNanos: 11))
        _ = fixture.run(.registerMember(id: 1, apiAddress: "a:1", peerAddress: "a:2", atNanos: 12))
        #expect(fixture.state.listMembers().map(\.id) == [1, 2])
        #expect(fixture.state.listMembers().last?.peerAddress == "10.0.0.2:2")
    }

    @Test func livenessChangesOnlyOnANewVerdict() {
        var fixture = Fixture()
        _ = fixture.run(.registerMember(id: 3, apiAddress: "h:1", peerAddress: "h:2", atNanos: 1))
        _ = fixture.run(.setMemberLiveness(id: 3, isUp: false, atNanos: 7))
        _ = fixture.run(.setMemberLiveness(id: 3, isUp: false, atNanos: 8))
        #expect(fixture.state.listMembers() == [MemberInfo(id: 3, apiAddress: "h:1", peerAddress: "h:2", isUp: false,
                                                           changedAtNanos: 7)])
        // Registering again (the node restarted and said where it is) brings it back up.
        _ = fixture.run(.registerMember(id: 3, apiAddress: "h:1", peerAddress: "h:2", atNanos: 9))
        #expect(fixture.state.listMembers().first?.isUp == true)
    }

    @Test func forgetRemovesTheRecord() {
        var fixture = Fixture()
        _ = fixture.run(.registerMember(id: 3, apiAddress: "h:1", peerAddress: "h:2", atNanos: 1))
        #expect(fixture.run(.forgetMember(id: 3)) == .done)
        #expect(fixture.state.listMembers().isEmpty)
    }

    @Test(arguments: [
        (MetadataCommand.registerMember(id: 0, apiAddress: "h:1", peerAddress: "h:2", atNanos: 1),
         PFSError.invalidArgument("member id 0 is reserved")),
        (.registerMember(id: 1, apiAddress: "h", peerAddress: "h:2", atNanos: 1),
         .invalidArgument("api address 'h' is not host:port")),
        (.registerMember(id: 1, apiAddress: "h:1", peerAddress: "h :2", atNanos: 1),
         .invalidArgument("peer address 'h :2' is not host:port")),
        (.registerMember(id: 1, apiAddress: "h:1", peerAddress: "", atNanos: 1),
         .invalidArgument("peer address must be 1 to 255 bytes")),
        (.registerMember(id: 1, apiAddress: "h:x", peerAddress: "h:2", atNanos: 1),
         .invalidArgument("api address 'h:x' is not host:port")),
        (.setMemberLiveness(id: 5, isUp: false, atNanos: 1), .memberNotFound(5)),
        (.forgetMember(id: 5), .memberNotFound(5)),
    ])
    func badMemberCommandsChangeNothing(command: MetadataCommand, expected: PFSError) {
        var fixture = Fixture()
        _ = fixture.run(.registerMember(id: 9, apiAddress: "h:1", peerAddress: "h:2", atNanos: 1))
        fixture.expectFailure(command, expected)
    }

    @Test func membersSurviveTheSnapshotAndVersionOneImagesStillLoad() throws {
        var fixture = Fixture()
        fixture.createRepo("images")
        _ = fixture.run(.registerMember(id: 2, apiAddress: "h:1", peerAddress: "h:2", atNanos: 1))
        _ = fixture.run(.setMemberLiveness(id: 2, isUp: false, atNanos: 3))
        let restored = try MetadataState(decoding: fixture.state.encoded())
        #expect(restored == fixture.state)

        // A version 1 image is the same layout without the trailing member list.
        var old = fixture.state
        old.members = [:]
        var bytes = old.encoded()
        bytes[4] = 1
        bytes.removeLast(4)
        #expect(try MetadataState(decoding: bytes) == old)
    }

    @Test func theStateMachineReportsMemberChanges() throws {
        let reports = ReportBox()
        let machine = MetadataStateMachine(membersChanged: { reports.append($0) })
        let register = MetadataCommand.registerMember(id: 2, apiAddress: "h:1", peerAddress: "h:2", atNanos: 1)
        _ = try machine.apply(.init(term: 1, index: 1, kind: .normal, data: register.encoded))
        _ = try machine.apply(.init(term: 1, index: 2, kind: .normal, data: register.encoded))
        _ = try machine.apply(.init(term: 1, index: 3, kind: .normal,
                                    data: MetadataCommand.createRepo(repo("a"), description: "", createdAtNanos: 1).encoded))
        _ = try machine.apply(.init(term: 1, index: 4, kind: .normal, data: MetadataCommand.forgetMember(id: 2).encoded))
        // Only the commands that changed the records report: the repeat and the repo do not.
        #expect(reports.all.map { $0.map(\.id) } == [[2], []])
    }
}

final class ReportBox: Sendable {
    private let reports = Mutex<[[MemberInfo]]>([])
    func append(_ members: [MemberInfo]) { reports.withLock { $0.append(members) } }
    var all: [[MemberInfo]] { reports.withLock { $0 } }
}

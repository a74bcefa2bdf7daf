import GRPCCore
import PachAPI
import PFS
import Testing
@testable import Node

@Suite struct AdminRemoveNodeTests {
    @Test func removeNodeAnswersWhoRemovedItAndRefusesUnknownAndZeroIDs() async throws {
        let backend = FakeBackend()
        _ = try await backend.propose(MetadataCommand.registerMember(id: 5, apiAddress: "h:1", peerAddress: "h:2",
                                                                     atNanos: 1).encoded, client: .none, sequence: 0)
        let service = AdminService(backend: backend)
        var request = Admin_RemoveNodeRequest()
        request.nodeID = 5
        let response = try await service.removeNode(request: request, context: PfsHarness.context())
        #expect(response.removedBy == backend.nodeID)
        #expect(backend.metadata.listMembers().isEmpty)

        let unknown = await expectRPCError(.notFound) {
            _ = try await service.removeNode(request: request, context: PfsHarness.context())
        }
        #expect(unknown?.message == "node 5 is not a member of the cluster")
        request.nodeID = 0
        await expectRPCError(.invalidArgument) {
            _ = try await service.removeNode(request: request, context: PfsHarness.context())
        }
    }

    @Test(arguments: [
        (MembershipError.raft(.configChangePending), RPCError.Code.failedPrecondition),
        (.raft(.invalidConfigChange("no voter would be left")), .failedPrecondition),
        (.raft(.noLeader), .unavailable),
        (.notMember(3), .notFound),
        (.invalid("bad"), .invalidArgument),
    ])
    func membershipErrorsMapToStatuses(error: MembershipError, code: RPCError.Code) {
        #expect(StatusMapping.rpcError(for: error).code == code)
    }
}

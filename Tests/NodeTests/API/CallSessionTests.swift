import GRPCCore
import PFS
import Raft
import Testing
@testable import Node

@Suite struct CallSessionTests {
    static let clientHex = "00000000000000ab00000000000000cd"

    @Test func headersNameTheRaftSession() async throws {
        let harness = PfsHarness()
        let metadata: Metadata = [CallSession.clientIDKey: .string(Self.clientHex), CallSession.sequenceKey: "5"]
        _ = try await harness.createRepo("images", metadata: metadata)
        let proposal = try #require(harness.backend.proposals.first)
        #expect(proposal.client == ClientID(high: 0xab, low: 0xcd))
        #expect(proposal.sequence == 5)
    }

    /// A client retries StartCommit (say, on another node after a timeout) with the same session: the
    /// retry proposes again, with a fresh commit id, but is applied once and answers the first commit.
    @Test func retryWithTheSameSessionAppliesOnce() async throws {
        let harness = PfsHarness()
        _ = try await harness.createRepo("images")
        let metadata: Metadata = [CallSession.clientIDKey: .string(Self.clientHex), CallSession.sequenceKey: "1"]
        let first = try await harness.startCommit("images", metadata: metadata)
        let applied = harness.backend.appliedCount
        let retry = try await harness.startCommit("images", metadata: metadata)
        #expect(retry.id == first.id)
        #expect(harness.backend.appliedCount == applied)
        #expect(harness.backend.metadata.listRepos().count == 1)
    }

    @Test func callsWithoutHeadersGetFreshSessionsAtSequenceOne() async throws {
        let harness = PfsHarness()
        _ = try await harness.createRepo("a")
        _ = try await harness.createRepo("b")
        let proposals = harness.backend.proposals
        #expect(proposals.allSatisfy { !$0.client.isNone && $0.sequence == 1 })
        #expect(proposals[0].client != proposals[1].client)
    }

    static let malformed: [Metadata] = [
        [CallSession.clientIDKey: .string(clientHex)],
        [CallSession.sequenceKey: "1"],
        [CallSession.clientIDKey: "xyz", CallSession.sequenceKey: "1"],
        [CallSession.clientIDKey: .string(String(repeating: "0", count: 32)), CallSession.sequenceKey: "1"],
        [CallSession.clientIDKey: .string(clientHex + "0"), CallSession.sequenceKey: "1"],
        [CallSession.clientIDKey: .string(clientHex), CallSession.sequenceKey: "0"],
        [CallSession.clientIDKey: .string(clientHex), CallSession.sequenceKey: "+1"],
        [CallSession.clientIDKey: .string(clientHex), CallSession.sequenceKey: "-1"],
    ]

    @Test(arguments: malformed)
    func malformedSessionsAreInvalidArgumentAndProposeNothing(metadata: Metadata) async throws {
        let harness = PfsHarness()
        await expectRPCError(.invalidArgument) { _ = try await harness.createRepo("images", metadata: metadata) }
        #expect(harness.backend.proposals.isEmpty)
    }

    @Test func uppercaseHexIsAccepted() throws {
        #expect(try CallSession.parseClientID("00000000000000AB00000000000000CD") == ClientID(high: 0xab, low: 0xcd))
    }
}

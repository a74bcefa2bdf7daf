import GRPCCore
import PFS
import PachAPI
import Raft
import Testing
@testable import Node

@Suite struct StatusMappingTests {
    private static let repo = try! RepoName("images")
    private static let key = BranchKey(repo, .master)
    private static let id = CommitID(high: 1, low: 2)

    static let pfsCases: [(PFSError, RPCError.Code)] = [
        (.invalidName(kind: "repo", name: "a b", why: "space"), .invalidArgument),
        (.invalidRef(text: "x", why: "no @"), .invalidArgument),
        (.invalidArgument("too long"), .invalidArgument),
        (.malformed("bytes"), .invalidArgument),
        (.provenanceCycle([key, key]), .invalidArgument),
        (.repoExists(repo), .alreadyExists),
        (.commitExists(id), .alreadyExists),
        (.repoNotFound(repo), .notFound),
        (.branchNotFound(key), .notFound),
        (.branchHasNoHead(key), .notFound),
        (.commitNotFound(id), .notFound),
        (.ancestorNotFound(ref: "images@master^9", available: 1), .notFound),
        (.commitNotInRepo(id, repo), .notFound),
        (.repoHasDependents(repo, dependents: [key]), .failedPrecondition),
        (.branchHasOpenCommit(key, id), .failedPrecondition),
        (.branchHasDependents(key, dependents: [key]), .failedPrecondition),
        (.commitFinished(id), .failedPrecondition),
        (.commitNotFinished(id), .failedPrecondition),
        (.commitHasChildren(id, children: [id]), .failedPrecondition),
        (.commitHasSubvenance(id, dependents: [id]), .failedPrecondition),
        (.unsupportedVersion(what: "command", version: 9), .internalError),
    ]

    @Test(arguments: pfsCases)
    func pfsErrorsMapToTheirCodeWithTheUserMessage(error: PFSError, code: RPCError.Code) {
        let status = StatusMapping.rpcError(for: error)
        #expect(status.code == code)
        #expect(status.message == error.description)
    }

    static let raftCases: [(RaftError, RPCError.Code)] = [
        (.noLeader, .unavailable), (.timeout, .unavailable), (.stopped, .unavailable),
        (.proposalDropped("leadership transfer"), .unavailable),
        (.storage("disk full"), .internalError), (.corruptStorage("crc"), .internalError),
        (.configChangePending, .internalError), (.compacted(3), .internalError),
    ]

    @Test(arguments: raftCases)
    func raftErrorsMapToUnavailableOrInternal(error: RaftError, code: RPCError.Code) {
        let status = StatusMapping.rpcError(for: error)
        #expect(status.code == code)
        if code == .unavailable {
            #expect(status.message.contains("no reachable leader"))
            #expect(status.message.contains("retry"))
        }
    }

    @Test(arguments: [RaftError.noLeader, .storage("disk full")])
    func raftFailuresReachTheCaller(error: RaftError) async throws {
        let harness = PfsHarness()
        harness.backend.setMode(.failing(error))
        let expected = StatusMapping.rpcError(for: error).code
        await expectRPCError(expected) { _ = try await harness.createRepo("images") }
        await expectRPCError(expected) {
            _ = try await harness.service.listRepo(request: PfsHarness.request(Pfs_ListRepoRequest()),
                                                   context: PfsHarness.context())
        }
    }
}

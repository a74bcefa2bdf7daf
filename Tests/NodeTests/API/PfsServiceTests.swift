import GRPCCore
import PFS
import PachAPI
import Raft
import Testing
@testable import Node

@Suite struct PfsRepoTests {
    @Test func createRepoProposesWithProposerTimeAndAnswersTheRepo() async throws {
        let harness = PfsHarness()
        let info = try await harness.createRepo("images", description: "cats")
        #expect(info.name == "images")
        #expect(info.description_p == "cats")
        #expect(info.createdUnixNanos > 0)
        let proposals = harness.backend.proposals
        #expect(proposals.count == 1)
        guard case .createRepo(let name, let description, let createdAt) = proposals.first?.command else {
            Issue.record("proposed \(proposals)")
            return
        }
        #expect(name.text == "images" && description == "cats")
        #expect(Int64(createdAt) == info.createdUnixNanos)
    }

    @Test func createRepoTwiceIsAlreadyExists() async throws {
        let harness = PfsHarness()
        _ = try await harness.createRepo("images")
        let error = await expectRPCError(.alreadyExists) { _ = try await harness.createRepo("images") }
        #expect(error?.message == "repo images already exists")
    }

    @Test(arguments: ["", "bad name", "a/b", String(repeating: "x", count: 64), "..", "naïve"])
    func invalidRepoNamesProposeNothing(name: String) async throws {
        let harness = PfsHarness()
        let error = await expectRPCError(.invalidArgument) { _ = try await harness.createRepo(name) }
        #expect(error?.message.hasPrefix("invalid repo name") == true)
        #expect(harness.backend.proposals.isEmpty)
    }

    @Test func oversizedDescriptionProposesNothing() async throws {
        let harness = PfsHarness()
        let text = String(repeating: "d", count: MetadataLimits.descriptionBytesMax + 1)
        await expectRPCError(.invalidArgument) { _ = try await harness.createRepo("images", description: text) }
        #expect(harness.backend.proposals.isEmpty)
    }

    @Test func inspectAndListReadAfterAReadPoint() async throws {
        let harness = PfsHarness()
        _ = try await harness.createRepo("zebra")
        _ = try await harness.createRepo("apple")
        var inspect = Pfs_InspectRepoRequest()
        inspect.name = "apple"
        let info = try await harness.service.inspectRepo(request: PfsHarness.request(inspect),
                                                         context: PfsHarness.context()).message
        #expect(info.name == "apple")
        let list = try await harness.service.listRepo(request: PfsHarness.request(Pfs_ListRepoRequest()),
                                                      context: PfsHarness.context()).message
        #expect(list.repos.map(\.name) == ["apple", "zebra"])
        #expect(harness.backend.readCount == 2)
        #expect(harness.backend.proposals.count == 2, "reads propose nothing")
    }

    @Test func inspectMissingRepoIsNotFound() async throws {
        let harness = PfsHarness()
        var inspect = Pfs_InspectRepoRequest()
        inspect.name = "ghost"
        let error = await expectRPCError(.notFound) {
            _ = try await harness.service.inspectRepo(request: PfsHarness.request(inspect), context: PfsHarness.context())
        }
        #expect(error?.message == "repo ghost not found")
    }

    @Test func deleteRepoRefusesDependentsUnlessForced() async throws {
        let harness = PfsHarness()
        _ = try await harness.createRepo("raw")
        _ = try await harness.createRepo("edges")
        _ = try await harness.startCommit("raw")
        _ = try await harness.createBranch("edges", "master", provenance: [("raw", "master")])
        var delete = Pfs_DeleteRepoRequest()
        delete.name = "raw"
        await expectRPCError(.failedPrecondition) {
            _ = try await harness.service.deleteRepo(request: PfsHarness.request(delete), context: PfsHarness.context())
        }
        delete.force = true
        _ = try await harness.service.deleteRepo(request: PfsHarness.request(delete), context: PfsHarness.context())
        #expect(harness.backend.metadata.listRepos().map(\.name.text) == ["edges"])
    }
}

@Suite struct PfsCommitTests {
    @Test func startCommitCreatesTheBranchWithAProposerChosenID() async throws {
        let harness = PfsHarness()
        _ = try await harness.createRepo("images")
        let commit = try await harness.startCommit("images")
        #expect(commit.repo == "images" && commit.branch == "master")
        #expect(commit.id.count == 32 && (try? CommitID(commit.id)) != nil)
        guard case .startCommit(_, _, nil, let id, let startedAt, _) = harness.backend.proposals.last?.command else {
            Issue.record("proposed \(harness.backend.proposals)")
            return
        }
        #expect(id.description == commit.id)
        #expect(startedAt > 0)
    }

    @Test func secondOpenCommitOnABranchIsFailedPrecondition() async throws {
        let harness = PfsHarness()
        _ = try await harness.createRepo("images")
        _ = try await harness.startCommit("images")
        let error = await expectRPCError(.failedPrecondition) { _ = try await harness.startCommit("images") }
        #expect(error?.message.contains("has open commit") == true)
    }

    @Test func startCommitValidationProposesNothing() async throws {
        let harness = PfsHarness()
        _ = try await harness.createRepo("images")
        let before = harness.backend.proposals.count
        await expectRPCError(.invalidArgument) { _ = try await harness.startCommit("images", "") }
        await expectRPCError(.invalidArgument) { _ = try await harness.startCommit("images", "bad/branch") }
        let error = await expectRPCError(.invalidArgument) {
            _ = try await harness.startCommit("images", parent: "master^x")
        }
        #expect(error?.message.hasPrefix("invalid ref 'images@master^x'") == true)
        #expect(harness.backend.proposals.count == before)
    }

    @Test func finishCommitFinishesOnceThenRefuses() async throws {
        let harness = PfsHarness()
        _ = try await harness.createRepo("images")
        let started = try await harness.startCommit("images")
        let finished = try await harness.finishCommit("images", "master")
        #expect(finished.id == started.id)
        #expect(finished.state == .finished)
        #expect(finished.finishedUnixNanos >= finished.startedUnixNanos)
        await expectRPCError(.failedPrecondition) { _ = try await harness.finishCommit("images", started.id) }
    }

    @Test func refsMayBeBareOrNameTheSameRepo() async throws {
        let harness = PfsHarness()
        _ = try await harness.createRepo("images")
        let first = try await harness.startCommit("images")
        _ = try await harness.finishCommit("images", "images@master")
        _ = try await harness.startCommit("images")
        #expect(try await harness.inspectCommit("images", "master^").id == first.id)
        #expect(try await harness.inspectCommit("images", "images@master~1").id == first.id)
        let other = await expectRPCError(.invalidArgument) { _ = try await harness.inspectCommit("images", "edges@master") }
        #expect(other?.message.contains("the request is for repo images") == true)
        await expectRPCError(.invalidArgument) { _ = try await harness.inspectCommit("images", "") }
        await expectRPCError(.notFound) { _ = try await harness.inspectCommit("images", "master^5") }
        await expectRPCError(.notFound) { _ = try await harness.inspectCommit("images", "nobranch") }
    }

    @Test func listCommitStreamsNewestFirstWithLimit() async throws {
        let harness = PfsHarness()
        _ = try await harness.createRepo("images")
        var ids: [String] = []
        for _ in 0..<3 {
            ids.append(try await harness.startCommit("images").id)
            _ = try await harness.finishCommit("images")
        }
        #expect(try await harness.listCommit("images").map(\.id) == ids.reversed())
        #expect(try await harness.listCommit("images", branch: "master", limit: 2).map(\.id) == [ids[2], ids[1]])
        let infos = try await harness.listCommit("images", limit: 1)
        #expect(infos.first?.parentID == ids[1])
        await expectRPCError(.notFound) { _ = try await harness.listCommit("ghost") }
        await expectRPCError(.invalidArgument) { _ = try await harness.listCommit("images", branch: "a.b") }
    }

    @Test func deleteCommitTakesAnIDAndMovesTheBranchBack() async throws {
        let harness = PfsHarness()
        _ = try await harness.createRepo("images")
        let first = try await harness.startCommit("images")
        _ = try await harness.finishCommit("images")
        let second = try await harness.startCommit("images")
        var delete = Pfs_DeleteCommitRequest()
        delete.repo = "images"
        delete.id = "master"
        await expectRPCError(.invalidArgument) {
            _ = try await harness.service.deleteCommit(request: PfsHarness.request(delete), context: PfsHarness.context())
        }
        delete.id = first.id
        await expectRPCError(.failedPrecondition) {
            _ = try await harness.service.deleteCommit(request: PfsHarness.request(delete), context: PfsHarness.context())
        }
        delete.id = second.id
        _ = try await harness.service.deleteCommit(request: PfsHarness.request(delete), context: PfsHarness.context())
        #expect(try await harness.inspectCommit("images", "master").id == first.id)
    }
}

@Suite struct PfsBranchTests {
    @Test func createInspectListAndDeleteBranches() async throws {
        let harness = PfsHarness()
        _ = try await harness.createRepo("raw")
        _ = try await harness.createRepo("edges")
        let head = try await harness.startCommit("raw")
        _ = try await harness.finishCommit("raw")
        let staging = try await harness.createBranch("raw", "staging", head: "master")
        #expect(staging.headID == head.id)
        let downstream = try await harness.createBranch("edges", "master", provenance: [("raw", "master")])
        #expect(downstream.directProvenance.map { "\($0.repo)@\($0.name)" } == ["raw@master"])

        var inspect = Pfs_InspectBranchRequest()
        inspect.repo = "raw"
        inspect.branch = "master"
        let upstream = try await harness.service.inspectBranch(request: PfsHarness.request(inspect),
                                                               context: PfsHarness.context()).message
        #expect(upstream.subvenance.map { "\($0.repo)@\($0.name)" } == ["edges@master"])

        var list = Pfs_ListBranchRequest()
        list.repo = "raw"
        let names = try await harness.service.listBranch(request: PfsHarness.request(list),
                                                         context: PfsHarness.context()).message.branches.map(\.name)
        #expect(names == ["master", "staging"])

        var delete = Pfs_DeleteBranchRequest()
        delete.repo = "raw"
        delete.branch = "master"
        await expectRPCError(.failedPrecondition) {
            _ = try await harness.service.deleteBranch(request: PfsHarness.request(delete), context: PfsHarness.context())
        }
        delete.force = true
        _ = try await harness.service.deleteBranch(request: PfsHarness.request(delete), context: PfsHarness.context())
        await expectRPCError(.notFound) {
            _ = try await harness.service.inspectBranch(request: PfsHarness.request(inspect), context: PfsHarness.context())
        }
    }

    @Test func provenanceCyclesAndBadNamesAreInvalidArgument() async throws {
        let harness = PfsHarness()
        _ = try await harness.createRepo("a")
        _ = try await harness.createRepo("b")
        _ = try await harness.createBranch("a", "master")
        _ = try await harness.createBranch("b", "master", provenance: [("a", "master")])
        let cycle = await expectRPCError(.invalidArgument) {
            _ = try await harness.createBranch("a", "master", provenance: [("b", "master")])
        }
        #expect(cycle?.message.contains("cycle") == true)
        let before = harness.backend.proposals.count
        await expectRPCError(.invalidArgument) { _ = try await harness.createBranch("a", "x", provenance: [("b", "")]) }
        await expectRPCError(.invalidArgument) { _ = try await harness.createBranch("a", "x", head: "^^") }
        await expectRPCError(.invalidArgument) {
            _ = try await harness.createBranch("a", "0123456789abcdef0123456789abcdef")
        }
        #expect(harness.backend.proposals.count == before)
    }
}

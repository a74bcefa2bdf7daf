import GRPCCore
import PachAPI
import Raft
import Testing
@testable import Node

@Suite struct CallDeadlineTests {
    /// The backend ignores cancellation for 5 s (like a RaftNode request); the RPC's deadline passes
    /// after 100 ms, and the handler must answer then, not when the backend gives up.
    @Test func aHangingProposalEndsWithTheRPCDeadline() async throws {
        let harness = PfsHarness()
        harness.backend.setMode(.hanging(.seconds(1800)))
        let cancellation = ServerContext.RPCCancellationHandle()
        Task {
            try await Task.sleep(for: .milliseconds(100))
            cancellation.cancel()
        }
        var message = Pfs_CreateRepoRequest()
        message.name = "images"
        let clock = ContinuousClock()
        let start = clock.now
        await expectRPCError(.deadlineExceeded) {
            _ = try await harness.service.createRepo(request: PfsHarness.request(message, metadata: ["grpc-timeout": "100m"]),
                                                     context: PfsHarness.context(cancellation: cancellation))
        }
        // Not a speed check: the backend hangs for 30 min, so finishing well before that shows the deadline
        // (not the backend) ended the call, even on a machine busy with other tests.
        #expect(clock.now - start < .seconds(600))
    }

    @Test func aHangingReadEndsWhenTheClientCancels() async throws {
        let harness = PfsHarness()
        harness.backend.setMode(.hanging(.seconds(1800)))
        let cancellation = ServerContext.RPCCancellationHandle()
        cancellation.cancel()
        await expectRPCError(.cancelled) {
            _ = try await harness.service.listRepo(request: PfsHarness.request(Pfs_ListRepoRequest()),
                                                   context: PfsHarness.context(cancellation: cancellation))
        }
    }

    @Test func aFastOperationIsNotDisturbed() async throws {
        let value = try await CallDeadline.run(PfsHarness.context(), hasDeadline: true) { () async throws(RPCError) in 42 }
        #expect(value == 42)
    }
}

@Suite struct HealthTests {
    private static func status(running: Bool = true, leader: NodeID = 1, commit: UInt64 = 10,
                               applied: UInt64 = 10) -> RaftStatus {
        var status = RaftStatus(id: 2)
        status.isRunning = running
        status.leader = leader
        status.commitIndex = commit
        status.appliedIndex = applied
        return status
    }

    @Test func servingWhenRunningWithALeaderAndCaughtUp() {
        let response = HealthCheck.evaluate(Self.status(), nodeID: 2)
        #expect(response.status == .serving)
        #expect(response.message.isEmpty)
        #expect(response.nodeID == 2)
    }

    @Test(arguments: [
        (status(running: false), "starting or shutting down"),
        (status(leader: noNode), "no leader"),
        (status(commit: 5_000, applied: 10), "catching up"),
    ])
    func notServingSaysWhy(status: RaftStatus, reason: String) {
        let response = HealthCheck.evaluate(status, nodeID: 2)
        #expect(response.status == .notServing)
        #expect(response.message.contains(reason))
    }
}

import Foundation
import GRPCCore
import Raft
import Testing
@testable import Node

/// The Prometheus endpoint: routing without sockets, the metrics' exposition, and the HTTP server over
/// a real socket on 127.0.0.1.
@Suite struct MetricsTests {
    // MARK: Routing

    struct Route: Sendable, CustomTestStringConvertible {
        var method: String
        var uri: String
        var status: Int
        var testDescription: String { "\(method) \(uri) → \(status)" }
    }

    @Test(arguments: [
        Route(method: "GET", uri: "/metrics", status: 200),
        Route(method: "GET", uri: "/metrics?name[]=x", status: 200),
        Route(method: "GET", uri: "/", status: 404),
        Route(method: "GET", uri: "/other", status: 404),
        Route(method: "GET", uri: "/metrics/", status: 404),
        Route(method: "POST", uri: "/metrics", status: 405),
        Route(method: "HEAD", uri: "/metrics", status: 405),
        Route(method: "DELETE", uri: "/other", status: 404),
    ])
    func endpointRoutes(_ route: Route) {
        let endpoint = MetricsEndpoint { Array("body".utf8) }
        let response = endpoint.respond(method: route.method, uri: route.uri)
        #expect(response.status == route.status)
        #expect((response.body == Array("body".utf8)) == (route.status == 200))
        #expect((response.allow == "GET") == (route.status == 405))
        if route.status == 200 { #expect(response.contentType.hasPrefix("text/plain; version=0.0.4")) }
    }

    // MARK: Exposition

    @Test func raftStatusIsSampledIntoGauges() {
        let metrics = NodeMetrics()
        var status = RaftStatus(id: 2)
        status.term = 7
        status.role = .leader
        status.leader = 2
        status.commitIndex = 41
        status.appliedIndex = 40
        status.lastIndex = 42
        status.snapshotIndex = 10
        status.configuration = Configuration(voters: [1, 2, 3])
        let samples = parseExposition(String(decoding: metrics.exposition(sampling: status), as: UTF8.self))
        #expect(samples["pachd_raft_term"] == 7)
        #expect(samples["pachd_raft_is_leader"] == 1)
        #expect(samples[#"pachd_raft_role{role="leader"}"#] == 1)
        #expect(samples[#"pachd_raft_role{role="follower"}"#] == 0)
        #expect(samples[#"pachd_raft_role{role="pre-candidate"}"#] == 0)
        #expect(samples["pachd_raft_commit_index"] == 41)
        #expect(samples["pachd_raft_applied_index"] == 40)
        #expect(samples["pachd_raft_last_log_index"] == 42)
        #expect(samples["pachd_raft_snapshot_index"] == 10)
        #expect(samples["pachd_raft_voters"] == 3)

        status.role = .follower
        status.leader = 1
        let later = parseExposition(String(decoding: metrics.exposition(sampling: status), as: UTF8.self))
        #expect(later["pachd_raft_is_leader"] == 0)
        #expect(later[#"pachd_raft_role{role="leader"}"#] == 0)
        #expect(later[#"pachd_raft_role{role="follower"}"#] == 1)
    }

    @Test func proposalsAreCountedByOutcome() {
        let metrics = NodeMetrics()
        for _ in 0..<3 { metrics.proposalSubmitted() }
        metrics.proposalFinished(failure: nil, elapsed: .milliseconds(3))
        metrics.proposalFinished(failure: .timeout, elapsed: .seconds(5))
        metrics.proposalFinished(failure: .proposalDropped("leader changed"), elapsed: .milliseconds(1))
        let text = String(decoding: metrics.exposition(), as: UTF8.self)
        let samples = parseExposition(text)
        #expect(samples["pachd_raft_proposals_submitted_total"] == 3)
        #expect(samples["pachd_raft_proposals_succeeded_total"] == 1)
        #expect(samples[#"pachd_raft_proposals_failed_total{reason="timeout"}"#] == 1)
        #expect(samples[#"pachd_raft_proposals_failed_total{reason="dropped"}"#] == 1)
        #expect(samples[#"pachd_raft_proposals_failed_total{reason="no_leader"}"#] == 0)
        #expect(samples["pachd_raft_proposal_seconds_count"] == 3)
        #expect(text.contains("# TYPE pachd_raft_proposal_seconds histogram"))
        #expect(text.contains("# HELP pachd_raft_proposals_submitted_total "))
    }

    @Test func diskStorageSyncsFillTheFsyncHistogram() throws {
        let metrics = NodeMetrics()
        let directory = FileManager.default.temporaryDirectory.path + "/metrics-sync-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let storage = try DiskStorage(directory: directory, onSync: { metrics.recordSync($0) })
        defer { storage.close() }
        let syncs = storage.syncCount
        #expect(syncs > 0, "opening a new storage directory syncs its parents")
        let samples = parseExposition(String(decoding: metrics.exposition(), as: UTF8.self))
        #expect(samples["pachd_raft_fsync_seconds_count"] == Double(syncs))
        #expect(samples[#"pachd_raft_fsync_seconds_bucket{le="+Inf"}"#] == Double(syncs))
    }

    @Test(arguments: [
        (RPCError.Code.unauthenticated, "UNAUTHENTICATED"), (.deadlineExceeded, "DEADLINE_EXCEEDED"),
        (.unavailable, "UNAVAILABLE"), (.cancelled, "CANCELLED"), (.notFound, "NOT_FOUND"),
    ])
    func apiStatusCodesHaveTheirCanonicalNames(code: RPCError.Code, name: String) {
        #expect(APIMetricsInterceptor.codeName(code) == name)
        #expect(APIMetricsInterceptor.codeName(of: RPCError(code: code, message: "x")) == name)
    }

    // MARK: Server

    @Test func serverAnswersOverASocketAndStopsWhenCancelled() async throws {
        let metrics = NodeMetrics()
        let endpoint = MetricsEndpoint { metrics.exposition() }
        let server = try await MetricsServer.bind(to: HostPort(host: "127.0.0.1", port: 0), endpoint: endpoint,
                                                  logger: testLogger("metrics"))
        #expect(server.address.port != 0)
        let running = Task { await server.run() }

        for _ in 0..<3 { metrics.peerError(2, call: .stream) }
        metrics.peerMessagesDropped(3, count: 5)
        let scrape = try await MetricsHTTPClient.request("/metrics", port: server.address.port)
        #expect(scrape.status == 200, "\(scrape)")
        #expect(scrape.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        #expect(scrape.headers["connection"] == "close")
        let samples = parseExposition(scrape.body)
        #expect(samples[#"pachd_peer_rpc_errors_total{peer="2",call="stream"}"#] == 3, "\(scrape.body)")
        #expect(samples[#"pachd_peer_messages_dropped_total{peer="3"}"#] == 5)
        #expect(samples["pachd_raft_fsync_seconds_count"] == 0)
        #expect(scrape.body.contains("# TYPE pachd_peer_rpc_errors_total counter"))

        // A counter moves between scrapes; each scrape renders afresh.
        metrics.peerError(2, call: .stream)
        let again = parseExposition(try await MetricsHTTPClient.request("/metrics", port: server.address.port).body)
        #expect(again[#"pachd_peer_rpc_errors_total{peer="2",call="stream"}"#] == 4)

        let other = try await MetricsHTTPClient.request("/other", port: server.address.port)
        #expect(other.status == 404, "\(other)")
        let post = try await MetricsHTTPClient.request("/metrics", method: "POST", port: server.address.port)
        #expect(post.status == 405, "\(post)")
        #expect(post.headers["allow"] == "GET")

        running.cancel()
        await running.value
        await #expect(throws: (any Error).self) {
            try await MetricsHTTPClient.request("/metrics", port: server.address.port)
        }
    }

    @Test func aPortInUseFailsToBind() async throws {
        let endpoint = MetricsEndpoint { [] }
        let first = try await MetricsServer.bind(to: HostPort(host: "127.0.0.1", port: 0), endpoint: endpoint,
                                                 logger: testLogger("metrics"))
        let running = Task { await first.run() }
        await #expect(throws: (any Error).self) {
            _ = try await MetricsServer.bind(to: first.address, endpoint: endpoint, logger: testLogger("metrics"))
        }
        first.close()
        await running.value
    }

    @Test func tooManyConnectionsAreClosedAtOnceAndSlowOnesTimeOut() async throws {
        var limits = MetricsServer.Limits()
        limits.connectionsMax = 1
        limits.connectionTime = .milliseconds(300)
        let server = try await MetricsServer.bind(to: HostPort(host: "127.0.0.1", port: 0),
                                                  endpoint: MetricsEndpoint { Array("ok\n".utf8) }, limits: limits,
                                                  logger: testLogger("metrics"))
        let running = Task { await server.run() }
        defer { running.cancel() }
        // An idle connection holds the only slot until its time is up.
        let idle = try IdleConnection(port: server.address.port)
        try await Task.sleep(for: .milliseconds(50))
        await #expect(throws: (any Error).self) {
            try await MetricsHTTPClient.request("/metrics", port: server.address.port)
        }
        // Closed once its 300 ms are up; polled, because when the server's task runs is up to the pool.
        let deadline = ContinuousClock.now + .seconds(30)
        while !idle.isClosedByServer(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(idle.isClosedByServer())
        let later = try await MetricsHTTPClient.request("/metrics", port: server.address.port)
        #expect(later.status == 200)
        #expect(later.body == "ok\n")
    }
}

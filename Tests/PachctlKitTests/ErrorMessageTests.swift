import GRPCCore
import Testing
@testable import PachctlKit

/// Every error is one line that says what to do.
struct ErrorMessageTests {
    static let a = NodeAddress(host: .ipv4("127.0.0.1"), port: 30651)
    static let b = NodeAddress(host: .ipv4("127.0.0.1"), port: 30652)
    static let c = NodeAddress(host: .ipv4("127.0.0.1"), port: 30653)

    static func server(_ code: RPCError.Code, _ message: String, token: Bool = true, timedOut: [NodeAddress] = [])
        -> PachctlError
    {
        .server(ServerFailure(endpoint: a, code: code, serverMessage: message, tokenSent: token, timedOutEarlier: timedOut))
    }

    @Test(arguments: [
        (server(.notFound, "repo 'cats' not found"), "repo 'cats' not found"),
        (server(.alreadyExists, "repo 'images' already exists"), "repo 'images' already exists"),
        (
            server(.failedPrecondition, "commit images@master is finished"),
            "commit images@master is finished"
        ),
        (server(.invalidArgument, "bad repo name 'a b'"), "bad repo name 'a b'"),
        (
            server(.unauthenticated, "invalid token"),
            "the cluster refused the token (invalid token): set PACH_TOKEN or --token (see .cluster/env)"
        ),
        (
            server(.unauthenticated, "missing authorization", token: false),
            "no token given: set PACH_TOKEN or --token (see .cluster/env)"
        ),
        (server(.permissionDenied, "admin only"), "permission denied: admin only"),
        (server(.internalError, "boom\nat line 3"), "server error at 127.0.0.1:30651 (internal): boom at line 3"),
        (server(.unknown, ""), "server error at 127.0.0.1:30651 (unknown): (no message)"),
        (
            server(.unimplemented, "method not found"),
            "127.0.0.1:30651 does not implement this call (method not found): is pachd older than pachctl? compare with 'pachctl version'"
        ),
        (
            server(.alreadyExists, "repo 'images' already exists", timedOut: [b]),
            "repo 'images' already exists (an earlier attempt at 127.0.0.1:30652 timed out and may have been applied: check with list or inspect)"
        ),
        (
            .unreachable([
                AttemptFailure(endpoint: a, code: .unavailable, cause: "connection refused"),
                AttemptFailure(endpoint: b, code: .unavailable, cause: "connection refused"),
                AttemptFailure(endpoint: c, code: .unavailable, cause: "connection refused"),
            ]),
            "no node reachable at 127.0.0.1:30651,127.0.0.1:30652,127.0.0.1:30653: connection refused (is the cluster up? scripts/cluster.sh status)"
        ),
        (
            .unreachable([
                AttemptFailure(endpoint: a, code: .unavailable, cause: "connection refused"),
                AttemptFailure(endpoint: b, code: .deadlineExceeded, cause: "timed out after 10s"),
            ]),
            "no node reachable at 127.0.0.1:30651,127.0.0.1:30652: 127.0.0.1:30651: connection refused; 127.0.0.1:30652: timed out after 10s (is the cluster up? scripts/cluster.sh status)"
        ),
        (
            .unreachable([
                AttemptFailure(
                    endpoint: a, code: .unavailable, cause: "TLS: the server's certificate is not signed by the given CA")
            ]),
            "no node reachable at 127.0.0.1:30651: TLS: the server's certificate is not signed by the given CA (set PACH_CA or --ca to the cluster CA, .cluster/tls/ca.crt)"
        ),
        (
            .unreachable([AttemptFailure(endpoint: a, code: .unavailable, cause: ErrorCause.wrongName)]),
            "no node reachable at 127.0.0.1:30651: TLS: the server's certificate does not name this address (use an address the node's certificate names, e.g. 127.0.0.1 or localhost for a local cluster)"
        ),
        (.usage("bad\nthing"), "bad thing"),
    ] as [(PachctlError, String)])
    func messages(error: PachctlError, message: String) {
        #expect(error.message == message)
        #expect(!error.message.contains("\n"))
    }

    struct FakeNIOError: Error, CustomStringConvertible {
        var description: String
    }

    @Test(arguments: [
        (
            RPCError(code: .unavailable, message: "Could not establish a connection to 127.0.0.1:30651.",
                     cause: FakeNIOError(description: "connect(descriptor:addr:size:): Connection refused (errno: 111)")),
            "connection refused"
        ),
        (RPCError(code: .deadlineExceeded, message: "Timed out waiting for an HTTP/2 stream"), "timed out after 10s"),
        (
            RPCError(code: .unavailable, message: "The connection was closed.",
                     cause: FakeNIOError(description: "handshakeFailed(BoringSSL: CERTIFICATE_VERIFY_FAILED certificate verify failed)")),
            "TLS: the server's certificate is not signed by the given CA"
        ),
        (
            RPCError(code: .unavailable, message: "closed", cause: FakeNIOError(description: "NIOSSLExtraError.failedToValidateHostname: Couldn't find localhost in certificate")),
            "TLS: the server's certificate does not name this address"
        ),
        (
            RPCError(code: .unavailable, message: "The server accepted the TCP connection but closed the connection.",
                     cause: FakeNIOError(description: "handshakeFailed(NIOSSL.BoringSSLError.sslError([Error: 268435581 error:1000007d:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED at x.cc:390]))")),
            "TLS: the server's certificate is not signed by the given CA"
        ),
        (
            RPCError(code: .unavailable, message: "closed", cause: FakeNIOError(description: "handshakeFailed(NIOSSL.BoringSSLError.sslError([Error: 1 TLSV1_ALERT_PROTOCOL_VERSION]))")),
            "TLS handshake failed: handshakeFailed(NIOSSL.BoringSSLError.sslError([Error: 1 TLSV1_ALERT_PROTOCOL_VERSION]))"
        ),
        (RPCError(code: .unavailable, message: "no leader: retry"), "no leader: retry"),
    ])
    func causes(error: RPCError, cause: String) {
        #expect(ErrorCause.summarize(error, timeout: .seconds(10)) == cause)
    }
}

/// The client tries each address in order, moves on only when a node cannot be reached, and reports
/// every address when none can.
struct FailoverTests {
    let endpoints = [ErrorMessageTests.a, ErrorMessageTests.b, ErrorMessageTests.c]

    /// Records which endpoints were tried; `outcomes` answers per port.
    actor Recorder {
        var tried: [Int] = []
        var pauses: [Duration] = []
        func record(_ port: Int) { tried.append(port) }
        func pause(_ duration: Duration) { pauses.append(duration) }
    }

    /// Runs a failover whose attempts fail as `outcomes` says (per port; `rounds` lets an outcome
    /// change from one round over the list to the next). Pauses are recorded, not slept.
    func run(
        _ outcomes: [Int: RPCError?], rounds: [[Int: RPCError?]] = [], recorder: Recorder = Recorder()
    ) async -> (Result<String, PachctlError>, [Int]) {
        let failover = Failover(
            endpoints: endpoints, timeout: .seconds(10), tokenSent: true,
            sleep: { duration in await recorder.pause(duration) })
        do {
            let value = try await failover.run { endpoint in
                let round = await recorder.tried.filter { $0 == endpoint.port }.count
                await recorder.record(endpoint.port)
                let table = round < rounds.count ? rounds[round] : outcomes
                if let error = table[endpoint.port] ?? nil { throw error }
                return "answered by \(endpoint.port)"
            }
            return (.success(value), await recorder.tried)
        } catch {
            return (.failure(error), await recorder.tried)
        }
    }

    static let noLeader = RPCError(code: .unavailable, message: "no leader: retry")

    @Test func downClusterIsReportedWithoutPausing() async {
        let recorder = Recorder()
        let (result, tried) = await run([30651: Self.refused, 30652: Self.refused, 30653: Self.refused], recorder: recorder)
        #expect(tried == [30651, 30652, 30653])
        #expect(await recorder.pauses.isEmpty)
        guard case .failure(.unreachable) = result else { Issue.record("expected unreachable"); return }
    }

    @Test func electionIsWaitedOutInBoundedRounds() async {
        let recorder = Recorder()
        let (result, tried) = await run([30651: Self.refused, 30652: Self.noLeader, 30653: Self.noLeader], recorder: recorder)
        #expect(tried == [30651, 30652, 30653, 30651, 30652, 30653, 30651, 30652, 30653])
        #expect(await recorder.pauses == [.milliseconds(300), .milliseconds(700)])
        guard case .failure(let error) = result else { Issue.record("expected failure"); return }
        #expect(error.message.contains("127.0.0.1:30652: no leader: retry"))
    }

    @Test func newLeaderAnswersInTheSecondRound() async throws {
        let recorder = Recorder()
        let (result, tried) = await run(
            [30651: Self.refused],
            rounds: [[30651: Self.refused, 30652: Self.noLeader, 30653: Self.noLeader]],
            recorder: recorder)
        #expect(try result.get() == "answered by 30652")
        #expect(tried == [30651, 30652, 30653, 30651, 30652])
        #expect(await recorder.pauses == [.milliseconds(300)])
    }

    static let refused = RPCError(code: .unavailable, message: "Could not establish a connection.",
                                  cause: ErrorMessageTests.FakeNIOError(description: "Connection refused (errno: 111)"))

    @Test func firstNodeAnswers() async throws {
        let (result, tried) = await run([:])
        #expect(try result.get() == "answered by 30651")
        #expect(tried == [30651])
    }

    @Test func killedNodeIsSkipped() async throws {
        let (result, tried) = await run([30651: Self.refused])
        #expect(try result.get() == "answered by 30652")
        #expect(tried == [30651, 30652])
    }

    @Test func deadlineMovesOnAndIsNotedOnAConfusingAnswer() async {
        let (result, tried) = await run([
            30651: RPCError(code: .deadlineExceeded, message: "deadline"),
            30652: RPCError(code: .alreadyExists, message: "repo 'x' already exists"),
        ])
        #expect(tried == [30651, 30652])
        guard case .failure(let error) = result else { Issue.record("expected failure"); return }
        #expect(error.message.hasPrefix("repo 'x' already exists (an earlier attempt at 127.0.0.1:30651 timed out"))
    }

    @Test(arguments: [RPCError.Code.notFound, .alreadyExists, .failedPrecondition, .invalidArgument, .unauthenticated,
                      .permissionDenied, .internalError])
    func otherErrorsAreFinal(code: RPCError.Code) async {
        let (result, tried) = await run([30651: RPCError(code: code, message: "final")])
        #expect(tried == [30651])
        guard case .failure(.server(let failure)) = result else { Issue.record("expected a server failure"); return }
        #expect(failure.code == code)
        #expect(failure.endpoint == ErrorMessageTests.a)
    }

    @Test func allUnreachableNamesEveryAddress() async {
        let (result, tried) = await run([30651: Self.refused, 30652: Self.refused, 30653: Self.refused])
        #expect(tried == [30651, 30652, 30653])
        guard case .failure(let error) = result else { Issue.record("expected failure"); return }
        #expect(
            error.message
                == "no node reachable at 127.0.0.1:30651,127.0.0.1:30652,127.0.0.1:30653: connection refused (is the cluster up? scripts/cluster.sh status)"
        )
    }

    @Test func nonGRPCErrorIsALocalProblem() async {
        struct Broken: Error {}
        let failover = Failover(endpoints: endpoints, timeout: .seconds(1), tokenSent: false)
        await #expect(throws: PachctlError.self) {
            try await failover.run { _ -> Int in throw Broken() }
        }
    }

    @Test func bearerTokenReplacesEarlierAuthorization() {
        var metadata: Metadata = ["authorization": "Bearer old", "x-other": "1"]
        metadata = BearerTokenInterceptor.adding("Bearer new", to: metadata)
        #expect(Array(metadata[stringValues: "authorization"]) == ["Bearer new"])
        #expect(Array(metadata[stringValues: "x-other"]) == ["1"])
    }
}

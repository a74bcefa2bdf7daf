import GRPCCore
import GRPCInProcessTransport
import PachAPI
import Testing
@testable import Node

@Suite struct TokenAuthUnitTests {
    @Test(arguments: [
        ("Bearer abc", "abc"), ("bearer abc", "abc"), ("BEARER x y", "x y"), ("Bearer  abc \n", "abc"), ("Bearer   ", nil),
        ("Bearer ", nil), ("Bearer", nil), ("Basic abc", nil), ("abc", nil), ("", nil),
    ] as [(String, String?)])
    func bearerTokens(header: String, token: String?) {
        #expect(TokenAuthInterceptor.bearerToken(header).map(String.init) == token)
    }

    @Test func constantTimeEqualNeedsSameNonEmptyBytes() {
        #expect(TokenAuthInterceptor.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!TokenAuthInterceptor.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!TokenAuthInterceptor.constantTimeEqual([1, 2, 3], [1, 2]))
        #expect(!TokenAuthInterceptor.constantTimeEqual([], []))
    }

    @Test func onlyTheTokenWhoseDigestMatchesIsAccepted() {
        let interceptor = TokenAuthInterceptor(expectedSHA256: FakeBackend().adminTokenSHA256)
        #expect(interceptor.isAuthorized(["authorization": "Bearer \(FakeBackend.token)"]))
        #expect(!interceptor.isAuthorized(["authorization": "Bearer \(FakeBackend.token)x"]))
        #expect(!interceptor.isAuthorized([:]))
        // Two values are ambiguous: refuse rather than pick one.
        #expect(!interceptor.isAuthorized([("authorization", "Bearer \(FakeBackend.token)"),
                                           ("authorization", "Bearer other")]))
    }
}

/// Calls through a real `GRPCServer` and `GRPCClient` over the in-process transport, with the services
/// and interceptors exactly as `makePublicServices` / `makeAuthInterceptors` give them to pachd.
@Suite struct PublicAPIEndToEndTests {
    private static let goodToken: Metadata = ["authorization": "Bearer \(FakeBackend.token)"]

    private func withAPI(_ body: @Sendable (GRPCClient<InProcessTransport.Client>, FakeBackend) async throws -> Void)
        async throws {
        let backend = FakeBackend()
        let transport = InProcessTransport()
        try await withGRPCServer(transport: transport.server, services: makePublicServices(backend: backend),
                                 interceptors: makeAuthInterceptors(backend: backend)) { _ in
            try await withGRPCClient(transport: transport.client) { client in
                try await body(client, backend)
            }
        }
    }

    @Test func callsWithoutAValidTokenAreUnauthenticatedAndChangeNothing() async throws {
        try await withAPI { client, backend in
            let pfs = Pfs_API.Client(wrapping: client)
            var create = Pfs_CreateRepoRequest()
            create.name = "images"
            for metadata: Metadata in [[:], ["authorization": "Bearer wrong"], ["authorization": "\(FakeBackend.token)"]] {
                let error = await expectRPCError(.unauthenticated) { _ = try await pfs.createRepo(create, metadata: metadata) }
                #expect(error?.message == TokenAuthInterceptor.refusal)
            }
            await expectRPCError(.unauthenticated) {
                _ = try await Admin_API.Client(wrapping: client).version(Admin_VersionRequest())
            }
            #expect(backend.proposals.isEmpty)
        }
    }

    @Test func theRightTokenReachesEveryService() async throws {
        try await withAPI { client, backend in
            let pfs = Pfs_API.Client(wrapping: client)
            var create = Pfs_CreateRepoRequest()
            create.name = "images"
            #expect(try await pfs.createRepo(create, metadata: Self.goodToken).name == "images")
            var start = Pfs_StartCommitRequest()
            start.repo = "images"
            start.branch = "master"
            let commit = try await pfs.startCommit(start, metadata: Self.goodToken)
            var list = Pfs_ListCommitRequest()
            list.repo = "images"
            let ids = try await pfs.listCommit(list, metadata: Self.goodToken) { response in
                var ids: [String] = []
                for try await info in response.messages { ids.append(info.id) }
                return ids
            }
            #expect(ids == [commit.id])
            let admin = Admin_API.Client(wrapping: client)
            #expect(try await admin.version(Admin_VersionRequest(), metadata: Self.goodToken).version == backend.version)
            let cluster = try await admin.clusterStatus(Admin_ClusterStatusRequest(), metadata: Self.goodToken)
            #expect(cluster.answeredBy == backend.nodeID)
        }
    }

    @Test func errorsCrossTheWireWithCodeAndMessage() async throws {
        try await withAPI { client, _ in
            let pfs = Pfs_API.Client(wrapping: client)
            var inspect = Pfs_InspectRepoRequest()
            inspect.name = "ghost"
            let error = await expectRPCError(.notFound) { _ = try await pfs.inspectRepo(inspect, metadata: Self.goodToken) }
            #expect(error?.message == "repo ghost not found")
        }
    }

    /// The client's deadline reaches the server as `grpc-timeout`; the handler must give up then rather
    /// than when the backend does (30 min), or the server's graceful shutdown at the end would wait for it.
    @Test func aHangingCallEndsAtTheClientDeadlineOnBothSides() async throws {
        let clock = ContinuousClock()
        let start = clock.now
        try await withAPI { client, backend in
            backend.setMode(.hanging(.seconds(1800)))
            var options = CallOptions.defaults
            options.timeout = .milliseconds(200)
            var create = Pfs_CreateRepoRequest()
            create.name = "images"
            await expectRPCError(.deadlineExceeded) {
                _ = try await Pfs_API.Client(wrapping: client).createRepo(create, metadata: Self.goodToken,
                                                                          options: options)
            }
        }
        // Not a speed check: the backend hangs for 30 min, so finishing well before that shows the deadline
        // (not the backend) ended the call, even on a machine busy with other tests.
        #expect(clock.now - start < .seconds(600))
    }

    @Test func healthNeedsNoToken() async throws {
        try await withAPI { client, backend in
            let health = try await Admin_API.Client(wrapping: client).health(Admin_HealthRequest())
            #expect(health.status == .serving)
            #expect(health.nodeID == backend.nodeID)
        }
    }
}

import GRPCCore
import Logging
import PFS
import PachAPI
import Synchronization
import Testing
@testable import Node

/// A `PfsService` over a `FakeBackend`, with shorthands to call handlers directly (no transport).
struct PfsHarness {
    let backend = FakeBackend()

    var service: PfsService<FakeBackend> { PfsService(backend: backend, logger: Logger(label: "test.api")) }

    /// A context whose RPC never ends unless `cancellation` is cancelled.
    static func context(cancellation: ServerContext.RPCCancellationHandle = .init()) -> ServerContext {
        ServerContext(descriptor: Pfs_API.Method.CreateRepo.descriptor, remotePeer: "test", localPeer: "test",
                      cancellation: cancellation)
    }

    /// A request with `metadata`.
    static func request<M: Sendable>(_ message: M, metadata: Metadata = [:]) -> ServerRequest<M> {
        ServerRequest(metadata: metadata, message: message)
    }

    func createRepo(_ name: String, description: String = "", metadata: Metadata = [:]) async throws -> Pfs_RepoInfo {
        var message = Pfs_CreateRepoRequest()
        message.name = name
        message.description_p = description
        return try await service.createRepo(request: Self.request(message, metadata: metadata),
                                            context: Self.context()).message
    }

    func startCommit(_ repo: String, _ branch: String = "master", parent: String = "",
                     metadata: Metadata = [:]) async throws -> Pfs_Commit {
        var message = Pfs_StartCommitRequest()
        message.repo = repo
        message.branch = branch
        message.parent = parent
        return try await service.startCommit(request: Self.request(message, metadata: metadata),
                                             context: Self.context()).message
    }

    func finishCommit(_ repo: String, _ ref: String = "master") async throws -> Pfs_CommitInfo {
        var message = Pfs_FinishCommitRequest()
        message.repo = repo
        message.ref = ref
        return try await service.finishCommit(request: Self.request(message), context: Self.context()).message
    }

    func inspectCommit(_ repo: String, _ ref: String) async throws -> Pfs_CommitInfo {
        var message = Pfs_InspectCommitRequest()
        message.repo = repo
        message.ref = ref
        return try await service.inspectCommit(request: Self.request(message), context: Self.context()).message
    }

    func createBranch(_ repo: String, _ branch: String, head: String = "",
                      provenance: [(String, String)] = []) async throws -> Pfs_BranchInfo {
        var message = Pfs_CreateBranchRequest()
        message.repo = repo
        message.branch = branch
        message.head = head
        message.provenance = provenance.map { repo, name in
            var branch = Pfs_Branch()
            branch.repo = repo
            branch.name = name
            return branch
        }
        return try await service.createBranch(request: Self.request(message), context: Self.context()).message
    }

    /// Runs ListCommit's producer into an array, as the transport would.
    func listCommit(_ repo: String, branch: String = "", limit: UInt64 = 0) async throws -> [Pfs_CommitInfo] {
        var message = Pfs_ListCommitRequest()
        message.repo = repo
        message.branch = branch
        message.limit = limit
        let response = try await service.listCommit(request: Self.request(message), context: Self.context())
        let collector = Collector<Pfs_CommitInfo>()
        _ = try await response.accepted.get().producer(RPCWriter(wrapping: collector))
        return collector.items
    }
}

/// An `RPCWriter` target that keeps what is written.
final class Collector<Element: Sendable>: RPCWriterProtocol {
    private let stored = Mutex<[Element]>([])

    var items: [Element] { stored.withLock { $0 } }

    func write(_ element: Element) async throws {
        stored.withLock { $0.append(element) }
    }

    func write(contentsOf elements: some Sequence<Element>) async throws {
        let array = Array(elements)
        stored.withLock { $0 += array }
    }
}

/// Runs `body`, expecting an `RPCError` with `code`; returns it for further checks.
@discardableResult
func expectRPCError(_ code: RPCError.Code, sourceLocation: SourceLocation = #_sourceLocation,
                    _ body: () async throws -> Void) async -> RPCError? {
    do {
        try await body()
        Issue.record("expected \(code), but the call succeeded", sourceLocation: sourceLocation)
    } catch let error as RPCError {
        #expect(error.code == code, "message: \(error.message)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected RPCError \(code), got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

import GRPCCore
import Logging
import PFS
import PachAPI
import Raft

/// The public `pfs.API` service: repos, branches and commits.
///
/// Every handler has the same shape. Writes: validate the request into PFS values (INVALID_ARGUMENT
/// with the parser's message, nothing proposed), build a `MetadataCommand` with the ids and times the
/// proposer supplies, propose it under the call's session (`CallSession`), decode the `MetadataResult`
/// and convert it. Reads: validate, wait for a linearizable read point, query the local state machine.
/// Errors become statuses only through `StatusMapping`; no call outlives its RPC (`CallDeadline`).
struct PfsService<Backend: APIBackend>: Pfs_API.ServiceProtocol {
    /// The node, as far as the API sees it.
    let backend: Backend
    /// For internal errors only: refusals are the caller's business and go back in the status.
    let logger: Logger

    /// A service answering from `backend`.
    init(backend: Backend, logger: Logger) {
        self.backend = backend
        self.logger = logger
    }

    // MARK: Shared steps

    /// Runs request validation; a refusal becomes INVALID_ARGUMENT (or whatever `StatusMapping` says for
    /// the parser's error) before anything reaches Raft.
    func validated<T>(_ body: () throws(PFSError) -> T) throws(RPCError) -> T {
        do {
            return try body()
        } catch {
            throw StatusMapping.rpcError(for: error)
        }
    }

    /// Proposes `command` under the session the request names and returns the state machine's answer;
    /// a refusal (`.failed`) is thrown as its status.
    func propose(_ command: MetadataCommand, _ metadata: Metadata, _ context: ServerContext,
                 rpc: String) async throws(RPCError) -> MetadataResult {
        let result = try await proposeResult(command, session: try CallSession(metadata: metadata), metadata, context,
                                             rpc: rpc)
        if case .failed(let refusal) = result { throw StatusMapping.rpcError(for: refusal) }
        return result
    }

    /// Proposes `command` under `session` and returns the state machine's answer, refusals included
    /// (for callers that retry some of them).
    func proposeResult(_ command: MetadataCommand, session: CallSession, _ metadata: Metadata, _ context: ServerContext,
                       rpc: String) async throws(RPCError) -> MetadataResult {
        let bytes = command.encoded
        let backend = self.backend
        let answer = try await bounded(metadata, context, rpc: rpc) { () async throws(RaftError) -> [UInt8] in
            try await backend.propose(bytes, client: session.client, sequence: session.sequence)
        }
        do {
            return try MetadataResult(decoding: answer)
        } catch {
            throw logged(StatusMapping.undecodableAnswer(error), rpc: rpc)
        }
    }

    /// Waits until the local state machine reflects every write acknowledged before this call.
    func readPoint(_ metadata: Metadata, _ context: ServerContext, rpc: String) async throws(RPCError) {
        let backend = self.backend
        try await bounded(metadata, context, rpc: rpc) { () async throws(RaftError) in
            try await backend.linearizableRead()
        }
    }

    /// Runs a Raft request for at most the RPC's lifetime, mapping its failure to a status (and logging
    /// the ones that are not the caller's or the cluster's availability problem).
    private func bounded<T: Sendable>(_ metadata: Metadata, _ context: ServerContext, rpc: String,
                                      _ operation: @escaping @Sendable () async throws(RaftError) -> T)
        async throws(RPCError) -> T {
        do throws(RPCError) {
            return try await CallDeadline.run(context, hasDeadline: Self.hasDeadline(metadata)) {
                () async throws(RPCError) -> T in
                do throws(RaftError) {
                    return try await operation()
                } catch {
                    throw StatusMapping.rpcError(for: error)
                }
            }
        } catch where error.code == .internalError {
            throw logged(error, rpc: rpc)
        }
    }

    /// Asks the local state machine; call after `readPoint`.
    func query<T>(_ body: (MetadataStateMachine) throws(PFSError) -> T) throws(RPCError) -> T {
        do {
            return try body(backend.metadata)
        } catch {
            throw StatusMapping.rpcError(for: error)
        }
    }

    /// The answer's repo, or INTERNAL when the state machine answered something else.
    func repoInfo(_ result: MetadataResult, rpc: String) throws(RPCError) -> RepoInfo {
        guard case .repo(let info) = result else {
            throw logged(StatusMapping.unexpectedAnswer(result, for: rpc), rpc: rpc)
        }
        return info
    }

    /// The answer's commit, or INTERNAL when the state machine answered something else.
    func commitInfo(_ result: MetadataResult, rpc: String) throws(RPCError) -> CommitInfo {
        guard case .commit(let info) = result else {
            throw logged(StatusMapping.unexpectedAnswer(result, for: rpc), rpc: rpc)
        }
        return info
    }

    /// The answer's branch, or INTERNAL when the state machine answered something else.
    func branchInfo(_ result: MetadataResult, rpc: String) throws(RPCError) -> BranchInfo {
        guard case .branch(let info) = result else {
            throw logged(StatusMapping.unexpectedAnswer(result, for: rpc), rpc: rpc)
        }
        return info
    }

    /// Checks that a delete was answered `.done`.
    func expectDone(_ result: MetadataResult, rpc: String) throws(RPCError) {
        guard case .done = result else {
            throw logged(StatusMapping.unexpectedAnswer(result, for: rpc), rpc: rpc)
        }
    }

    /// The current time as the proposer stamps it.
    func now() -> UInt64 {
        PfsArguments.nanos(backend.nowNanos())
    }

    /// Whether the client set a deadline (gRPC sends it as `grpc-timeout`).
    static func hasDeadline(_ metadata: Metadata) -> Bool {
        metadata[stringValues: "grpc-timeout"].contains { _ in true }
    }

    /// Logs an internal error (a bug or a format mismatch between nodes) and returns it for throwing.
    private func logged(_ error: RPCError, rpc: String) -> RPCError {
        logger.error("internal error answering a call",
                     metadata: ["api.rpc": "\(rpc)", "api.error": "\(error.message)"])
        return error
    }
}

import GRPCCore
import PFS
import PachAPI
import Raft
import Synchronization
@testable import Node

/// An `APIBackend` without Raft: `propose` applies the command straight to a `MetadataStateMachine`,
/// with the session table's exactly-once rule, and records what was proposed. Failures and hangs can be
/// injected to exercise error mapping and deadlines.
final class FakeBackend: APIBackend {
    /// One proposal as the backend received it.
    struct Proposal: Sendable, Equatable {
        var command: MetadataCommand
        var client: ClientID
        var sequence: UInt64
    }

    /// How the next Raft requests behave.
    enum Mode: Sendable, Equatable {
        case normal
        /// Every request fails with this error.
        case failing(RaftError)
        /// Every request waits this long, ignoring cancellation (as `RaftNode` does), then fails `timeout`.
        case hanging(Duration)
    }

    private struct State {
        var index: UInt64 = 0
        var proposals: [Proposal] = []
        var applied = 0
        var reads = 0
        var sessions: [ClientID: (sequence: UInt64, answer: [UInt8])] = [:]
        var mode = Mode.normal
        var clockNanos: Int64 = 1_700_000_000_000_000_000
    }

    /// The token the fake expects; its SHA-256 is below.
    static let token = "s3cret-admin-token"

    let metadata = MetadataStateMachine()
    /// The chunks behind `files`.
    let chunkIO = MemoryChunkIO()
    let files: (any FileStorage)?
    let version = "0.0.0-test"
    let nodeID: UInt64 = 7
    let adminTokenSHA256: [UInt8] = [117, 114, 36, 186, 55, 112, 30, 21, 92, 33, 26, 45, 194, 237, 93, 235,
                                     175, 54, 250, 186, 102, 170, 12, 222, 66, 88, 124, 252, 39, 250, 28, 48]
    private let state = Mutex(State())
    private let status: Mutex<RaftStatus>

    init() {
        var status = RaftStatus(id: 7)
        status.isRunning = true
        status.leader = 7
        status.role = .leader
        self.status = Mutex(status)
        files = ChunkFileStorage(io: chunkIO, cache: TreeObjectCache())
    }

    /// Every proposal received, retries included.
    var proposals: [Proposal] { state.withLock { $0.proposals } }
    /// How many proposals were applied (retries of an applied session are not).
    var appliedCount: Int { state.withLock { $0.applied } }
    /// How many read points were asked for.
    var readCount: Int { state.withLock { $0.reads } }

    /// Sets how later requests behave.
    func setMode(_ mode: Mode) { state.withLock { $0.mode = mode } }
    /// Replaces the Raft status `Health` sees.
    func setStatus(_ update: (inout RaftStatus) -> Void) { status.withLock { update(&$0) } }

    var raftStatus: RaftStatus { status.withLock { $0 } }

    func nowNanos() -> Int64 {
        state.withLock { state in
            state.clockNanos += 1_000
            return state.clockNanos
        }
    }

    func propose(_ command: [UInt8], client: ClientID, sequence: UInt64) async throws(RaftError) -> [UInt8] {
        try await obeyMode()
        let decoded = try! MetadataCommand(decoding: command)
        return state.withLock { state in
            state.proposals.append(Proposal(command: decoded, client: client, sequence: sequence))
            // `ClientID.none` opts out of exactly-once, as with a RaftNode.
            if client != .none, let session = state.sessions[client], session.sequence == sequence { return session.answer }
            state.index += 1
            state.applied += 1
            let answer = try! metadata.apply(Entry(term: 1, index: state.index, data: command))
            if client != .none { state.sessions[client] = (sequence, answer) }
            return answer
        }
    }

    /// Drops the member record through `propose` (the fake has no Raft configuration to change).
    func removeNode(_ id: UInt64) async throws(RPCError) {
        let answer: [UInt8]
        do { answer = try await propose(MetadataCommand.forgetMember(id: id).encoded, client: .none, sequence: 0) } catch {
            throw StatusMapping.rpcError(for: error)
        }
        if case .failed(let error)? = try? MetadataResult(decoding: answer) {
            let refusal: MembershipError = error == .memberNotFound(id) ? .notMember(id) : .invalid(error.description)
            throw StatusMapping.rpcError(for: refusal)
        }
    }

    func linearizableRead() async throws(RaftError) {
        try await obeyMode()
        state.withLock { $0.reads += 1 }
    }

    func clusterStatus() async -> Admin_ClusterStatusResponse {
        var response = Admin_ClusterStatusResponse()
        response.clusterID = "0123456789abcdef0123456789abcdef"
        response.answeredBy = nodeID
        response.leaderID = nodeID
        return response
    }

    private func obeyMode() async throws(RaftError) {
        switch state.withLock({ $0.mode }) {
        case .normal:
            return
        case .failing(let error):
            throw error
        case .hanging(let duration):
            // A detached sleep is not cancelled with the caller, like a RaftNode request.
            await Task.detached { try? await Task.sleep(for: duration) }.value
            throw .timeout
        }
    }
}

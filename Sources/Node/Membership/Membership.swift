import Logging
import PFS
import Raft

/// What the peer service needs to admit a joining node; `Membership` provides it, tests may fake it.
protocol MembershipBackend: Sendable {
    /// Records `node`'s addresses through Raft, then adds it as a learner (unless it is a member already).
    func admit(node: NodeID, apiAddress: String, peerAddress: String) async throws(MembershipError) -> Admission
}

/// The answer to a join: whether the node was a member before.
struct Admission: Sendable, Equatable {
    var alreadyMember: Bool
}

/// Why a membership operation did not happen.
enum MembershipError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The request itself is wrong (an address that is not host:port, node id 0); retrying cannot help.
    case invalid(String)
    /// The node is not a member.
    case notMember(NodeID)
    /// Raft could not do it now (no leader, another change in flight, a timeout); retry later.
    case raft(RaftError)

    var description: String {
        switch self {
        case .invalid(let why): return why
        case .notMember(let id): return "node \(id) is not a member of the cluster"
        case .raft(let error): return "\(error)"
        }
    }
}

/// The cluster's membership as this node takes part in it (DESIGN.md, "Identical nodes, one leader"):
///
/// - every member records its own addresses in the replicated state once a leader is known (founders at
///   their first start, any node whose addresses changed), so every node can reach every other;
/// - a node started with `--join` asks an existing member to admit it (`Join` on the peer API): the
///   member records its addresses, then adds it as a learner;
/// - the leader promotes a learner to voter once its log is within `promoteWithinEntries` of the leader's,
///   and records a member as down after `downAfter` of silence (and up again when it is heard from);
/// - `remove` takes a node out of the configuration, then drops its record.
///
/// The leader's duties depend on the replicated state and its own observations only, so a new leader
/// picks them up where the old one left off.
final class Membership: MembershipBackend {
    struct Options: Sendable, Equatable {
        /// How long a member may stay silent before the leader records it as down.
        var downAfter: Duration = .seconds(30)
        /// A learner this close to the leader's last index is caught up.
        var promoteWithinEntries: UInt64 = 64
        /// How often the duties run.
        var interval: Duration = .milliseconds(500)
    }

    let selfID: NodeID
    let apiAddress: String
    let peerAddress: String
    let options: Options
    let raft: RaftNode
    let metadata: MetadataStateMachine
    let transport: GRPCPeerTransport
    let clock: any ProposerClock
    let logger: Logger

    init(selfID: NodeID, apiAddress: String, peerAddress: String, options: Options, raft: RaftNode,
         metadata: MetadataStateMachine, transport: GRPCPeerTransport, clock: any ProposerClock, logger: Logger) {
        self.selfID = selfID
        self.apiAddress = apiAddress
        self.peerAddress = peerAddress
        self.options = options
        self.raft = raft
        self.metadata = metadata
        self.transport = transport
        self.clock = clock
        self.logger = logger
    }

    // MARK: Admission and removal

    func admit(node: NodeID, apiAddress: String, peerAddress: String) async throws(MembershipError) -> Admission {
        guard node != noNode else { throw .invalid("node id 0 is reserved") }
        try await apply(.registerMember(id: node, apiAddress: apiAddress, peerAddress: peerAddress,
                                        atNanos: clock.nowNanos()))
        if raft.status.configuration.members.contains(node) { return Admission(alreadyMember: true) }
        do {
            _ = try await raft.proposeConfigChange(ConfigChange(.addLearner, node: node))
        } catch {
            throw .raft(error)
        }
        logger.info("node admitted as learner", metadata: ["member.node": "\(node)", "member.peer": "\(peerAddress)"])
        return Admission(alreadyMember: false)
    }

    /// Takes `node` out of the Raft configuration, then drops its record. Refused (through Raft) when it
    /// would leave no voter. The node itself keeps running until it is stopped.
    func remove(node: NodeID) async throws(MembershipError) {
        let configuration = raft.status.configuration
        let recorded = metadata.listMembers().contains { $0.id == node }
        guard configuration.members.contains(node) || recorded else { throw .notMember(node) }
        if configuration.members.contains(node) {
            do {
                _ = try await raft.proposeConfigChange(ConfigChange(.remove, node: node))
            } catch {
                throw .raft(error)
            }
        }
        // A removed leader steps down once its removal commits: the forget may need the next leader.
        for attempt in 1...20 {
            do {
                try await apply(.forgetMember(id: node))
                break
            } catch .invalid {
                break  // already forgotten
            } catch {
                if attempt == 20 { throw error }
                try? await Task.sleep(for: .milliseconds(250))
            }
        }
        logger.info("node removed", metadata: ["member.node": "\(node)"])
    }

    /// Proposes `command` and turns a refusal into `MembershipError`.
    @discardableResult
    func apply(_ command: MetadataCommand) async throws(MembershipError) -> MetadataResult {
        let answer: [UInt8]
        do {
            answer = try await raft.propose(command.encoded, client: .none, sequence: 0)
        } catch {
            throw .raft(error)
        }
        let result: MetadataResult
        do { result = try MetadataResult(decoding: answer) } catch { throw .invalid("\(error)") }
        if case .failed(let error) = result { throw .invalid(error.description) }
        return result
    }
}

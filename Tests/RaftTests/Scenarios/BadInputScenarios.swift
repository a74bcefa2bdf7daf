@testable import Raft
import Testing

/// Everything a core holds, except the outgoing messages, for before/after comparisons.
struct ScenarioCoreState: Equatable {
    var hardState: HardState
    var softState: SoftState
    var log: RaftLog
    var unstable: [Entry]
    var pendingSnapshot: Snapshot?
    var progress: [NodeID: Progress]
    var votes: [NodeID: Bool]
    var timers: [Int]
    var random: SeededGenerator
    var leadTransferee: NodeID
    var uncommittedBytes: Int
    var readIndexQueue: ReadIndexQueue
    var readIndexWaiting: [Message]
    var readStates: [ReadState]
    var needsBroadcast: Bool

    init(_ core: RaftCore) {
        hardState = core.hardState
        softState = core.softState
        log = core.log
        unstable = core.log.unstableEntries
        pendingSnapshot = core.log.pendingSnapshot
        progress = core.progress
        votes = core.votes
        timers = [core.electionElapsed, core.heartbeatElapsed, core.randomizedElectionTimeout]
        random = core.random
        leadTransferee = core.leadTransferee
        uncommittedBytes = core.uncommittedBytes
        readIndexQueue = core.readIndexQueue
        readIndexWaiting = core.readIndexWaiting
        readStates = core.readStates
        needsBroadcast = core.needsBroadcast
    }
}

/// What a peer knows when forging a message: whom it targets and where that node's log ends.
struct ForgeTarget {
    var id: NodeID
    var peer: NodeID
    var term: UInt64
    var lastIndex: UInt64
    var lastTerm: UInt64

    init(_ core: RaftCore, peer: NodeID) {
        id = core.id
        self.peer = peer
        term = core.term
        lastIndex = core.lastIndex
        lastTerm = core.lastTerm
    }

    /// An append from a leader of `term` that the target would accept: two new entries after its last.
    func append(term: UInt64) -> Message {
        append(term: term, after: lastIndex, logTerm: lastTerm)
    }

    /// An append of two entries of `term` after (`index`, `logTerm`).
    func append(term: UInt64, after index: UInt64, logTerm: UInt64) -> Message {
        let entries = (1...2).map { Entry(term: term, index: index + $0, data: [UInt8($0)]) }
        return Message(kind: .append, from: peer, to: id, term: term, logTerm: logTerm, index: index,
                       entries: entries, commit: index)
    }

    func snapshot(term: UInt64, voters: Set<NodeID>) -> Snapshot {
        Snapshot(metadata: SnapshotMetadata(index: lastIndex + 10, term: term, configuration: Configuration(voters: voters)),
                 data: TestCommand.encode([]))
    }
}

/// Messages no correct peer sends, each broken in one way; unbroken, most would change the target
/// (a newer term, new entries, a snapshot).
enum MalformedMessage: String, CaseIterable, Sendable {
    case wrongRecipient, zeroSender, selfSender, nonContiguousEntries, entryTermAboveMessageTerm
    case snapshotWithoutVoters, snapshotMissing, missingTerm, emptyForwardedProposal, forwardedNoop

    func message(for target: ForgeTarget) -> Message {
        let next = target.term + 1
        var message = target.append(term: next)
        switch self {
        case .wrongRecipient: message.to = 99
        case .zeroSender: message.from = noNode
        case .selfSender: message.from = target.id
        case .nonContiguousEntries: message.entries[1].index += 1
        case .entryTermAboveMessageTerm: message.entries[1].term = next + 1
        case .snapshotWithoutVoters:
            message = Message(kind: .installSnapshot, from: target.peer, to: target.id, term: next,
                              snapshot: target.snapshot(term: next, voters: []))
        case .snapshotMissing:
            message = Message(kind: .installSnapshot, from: target.peer, to: target.id, term: next)
        case .missingTerm:
            message = Message(kind: .requestVote, from: target.peer, to: target.id, term: 0,
                              logTerm: target.lastTerm + 1, index: target.lastIndex + 1)
        case .emptyForwardedProposal:
            message = Message(kind: .propose, from: target.peer, to: target.id)
        case .forwardedNoop:
            message = Message(kind: .propose, from: target.peer, to: target.id, entries: [Entry(term: 0, index: 0, kind: .noop)])
        }
        return message
    }
}

/// Messages from an older term, each of a kind that would change the target if its term were current.
enum StaleMessage: String, CaseIterable, Sendable {
    case append, heartbeat, installSnapshot, requestVote, requestPreVote, timeoutNow
    case appendResponse, heartbeatResponse, requestVoteResponse

    /// Answers go to the leader; everything else to a follower.
    var targetsLeader: Bool { [.appendResponse, .heartbeatResponse, .requestVoteResponse].contains(self) }

    func message(for target: ForgeTarget) -> Message {
        let stale = target.term - 1
        let (peer, id) = (target.peer, target.id)
        switch self {
        case .append:
            // Right after the bootstrap entries (term 1): accepted, it would overwrite the leader's no-op.
            return target.append(term: stale, after: 3, logTerm: 1)
        case .heartbeat: return Message(kind: .heartbeat, from: peer, to: id, term: stale, commit: target.lastIndex)
        case .installSnapshot:
            return Message(kind: .installSnapshot, from: peer, to: id, term: stale,
                           snapshot: target.snapshot(term: stale, voters: [1, 2, 3]))
        case .requestVote, .requestPreVote:
            return Message(kind: self == .requestVote ? .requestVote : .requestPreVote, from: peer, to: id,
                           term: stale, logTerm: target.lastTerm + 1, index: target.lastIndex + 1)
        case .timeoutNow: return Message(kind: .timeoutNow, from: peer, to: id, term: stale)
        case .appendResponse:
            return Message(kind: .appendResponse, from: peer, to: id, term: stale, index: target.lastIndex - 1,
                           reject: true, rejectHint: 0)
        case .heartbeatResponse: return Message(kind: .heartbeatResponse, from: peer, to: id, term: stale)
        case .requestVoteResponse: return Message(kind: .requestVoteResponse, from: peer, to: id, term: stale)
        }
    }
}

@Suite struct BadInputScenarios {
    /// A settled three-node cluster (term 2) with a few commands committed.
    private func settledCluster() throws -> (TestCluster, leader: NodeID, follower: NodeID) {
        let cluster = TestCluster(voters: 3)
        let leader = try #require(cluster.electLeader())
        cluster.proposeCommitted(2)
        try #require(cluster.core(leader).term >= 2)
        return (cluster, leader, cluster.ids.first { $0 != leader }!)
    }

    @Test("a malformed message throws invalidMessage and changes nothing",
          arguments: MalformedMessage.allCases, [Role.leader, Role.follower])
    func malformedMessageIsRejected(kind: MalformedMessage, role: Role) throws {
        let (cluster, leader, follower) = try settledCluster()
        let id = role == .leader ? leader : follower
        let peer = cluster.ids.first { $0 != id }!
        let message = kind.message(for: ForgeTarget(cluster.core(id), peer: peer))
        let before = ScenarioCoreState(cluster.core(id))
        #expect(!cluster.core(id).hasReady)

        let error = #expect(throws: RaftError.self) {
            try cluster.withCore(id) { core throws(RaftError) in try core.step(message) }
        }
        guard case .invalidMessage = error else {
            Issue.record("expected invalidMessage, got \(String(describing: error))")
            return
        }
        #expect(ScenarioCoreState(cluster.core(id)) == before)
        #expect(!cluster.core(id).hasReady, "nothing to send or store")
        cluster.finish()
    }

    @Test("a message from an older term is ignored", arguments: StaleMessage.allCases)
    func staleMessageIsIgnored(kind: StaleMessage) throws {
        let (cluster, leader, follower) = try settledCluster()
        let id = kind.targetsLeader ? leader : follower
        let peer = kind.targetsLeader ? follower : leader
        let message = kind.message(for: ForgeTarget(cluster.core(id), peer: peer))
        let before = ScenarioCoreState(cluster.core(id))

        try cluster.withCore(id) { core throws(RaftError) in try core.step(message) }
        #expect(ScenarioCoreState(cluster.core(id)) == before)
        // At most an answer that tells the sender the current term.
        let answers = cluster.core(id).outbox + cluster.core(id).outboxAfterPersist
        #expect(answers.allSatisfy { $0.to == peer && $0.term == before.hardState.term })
        cluster.stabilize()
        cluster.tick(3)
        #expect(cluster.leader() == leader)
        cluster.finish()
    }
}

import PachAPI
import Raft

// Membership, snapshot metadata, roles and a node's status on the wire.

extension Raftpb_Configuration {
    /// Ids sorted, so that equal configurations encode to equal bytes.
    init(_ configuration: Configuration) {
        self.init()
        voters = configuration.voters.sorted()
        learners = configuration.learners.sorted()
    }
}

extension Configuration {
    init(_ wire: Raftpb_Configuration) {
        self.init(voters: Set(wire.voters), learners: Set(wire.learners))
    }
}

extension Raftpb_SnapshotMetadata {
    init(_ metadata: SnapshotMetadata) {
        self.init()
        index = metadata.index
        term = metadata.term
        configuration = Raftpb_Configuration(metadata.configuration)
    }
}

extension SnapshotMetadata {
    init(_ wire: Raftpb_SnapshotMetadata) {
        self.init(index: wire.index, term: wire.term, configuration: Configuration(wire.configuration))
    }
}

extension Raftpb_Role {
    init(_ role: Role) {
        switch role {
        case .follower: self = .follower
        case .preCandidate: self = .preCandidate
        case .candidate: self = .candidate
        case .leader: self = .leader
        }
    }
}

extension Role {
    /// nil for UNSPECIFIED or a role this build does not know.
    init?(_ wire: Raftpb_Role) {
        switch wire {
        case .follower: self = .follower
        case .preCandidate: self = .preCandidate
        case .candidate: self = .candidate
        case .leader: self = .leader
        case .unspecified, .UNRECOGNIZED: return nil
        }
    }
}

extension Raftpb_StatusResponse {
    /// `status` with this node's version and addresses.
    init(_ status: RaftStatus, version: String, apiAddress: String, peerAddress: String) {
        self.init()
        nodeID = status.id
        role = Raftpb_Role(status.role)
        term = status.term
        leaderID = status.leader
        commitIndex = status.commitIndex
        appliedIndex = status.appliedIndex
        lastIndex = status.lastIndex
        snapshotIndex = status.snapshotIndex
        configuration = Raftpb_Configuration(status.configuration)
        self.version = version
        self.apiAddress = apiAddress
        self.peerAddress = peerAddress
    }
}

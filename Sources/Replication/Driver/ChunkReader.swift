import Logging

/// Fetches one chunk, verified, from the nearest good copy, and repairs this member's copy on the way
/// (DESIGN.md, Data path, "Read"). Stateless between calls; any number of reads may run at once.
///
/// The order tried: this member first (no network), then every other live member in rendezvous order
/// for the chunk (`Placement.ranking`), so the replicas come first and then any member that may still
/// hold a copy from an earlier membership. Every frame is checked against the id asked for and verified
/// (decoded and hashed) before it is used, whoever sent it: corrupt data is never returned.
///
/// **Read repair**: when this member is one of the chunk's R replicas among `live` and lacked a good copy
/// (not held, or its copy failed verification and was quarantined), the good frame fetched elsewhere is
/// stored here before `read` returns. A failure to store it is logged, not thrown: the read succeeded,
/// and the next repair pass will copy it.
public final class ChunkReader: Sendable {
    private let peers: any ChunkPeers
    private let selfID: MemberID
    private let policy: ReplicationPolicy
    private let logger: Logger

    /// A reader for the member `selfID`, whose own store `peers` serves like any other.
    public init(peers: any ChunkPeers, selfID: MemberID, policy: ReplicationPolicy,
                logger: Logger = Logger(label: "replication.reader")) {
        self.peers = peers
        self.selfID = selfID
        self.policy = policy
        self.logger = logger
    }

    /// The verified frame of `id`.
    ///
    /// - Throws: `.chunkNotFound(id)` when neither this member nor any live member has a good copy (each
    ///   member's reason is logged at debug level).
    public func read(_ id: ChunkID, live: [MemberID]) async throws(ReplicationError) -> ChunkFrame {
        try await fetch(id, live: live).frame
    }

    /// The chunk's bytes: `read` and then decode, with one hash instead of two (the verification is the
    /// decode). What a caller that streams file contents wants.
    public func readBytes(_ id: ChunkID, live: [MemberID]) async throws(ReplicationError) -> [UInt8] {
        try await fetch(id, live: live).data
    }

    private func fetch(_ id: ChunkID, live: [MemberID]) async throws(ReplicationError) -> (frame: ChunkFrame, data: [UInt8]) {
        var reasons: [String] = []
        var lacksLocally = false
        switch await attempt(id, from: selfID) {
        case .success(let found):
            return found
        case .failure(let failure):
            reasons.append("here: \(failure.error)")
            lacksLocally = failure.lacksGoodCopy
            if failure.servedBadFrame {
                // The store handed out a frame that is not the chunk; remove it so the good copy can be
                // stored (a put of a held id is a no-op).
                do throws(ReplicationError) {
                    _ = try await peers.delete([id], on: selfID)
                } catch {
                    logger.debug("could not remove a bad local copy", metadata: [
                        "replication.chunk": "\(id)", "replication.error": "\(error)",
                    ])
                }
            }
        }
        let members = Array(Set(live)).sorted()
        for member in Placement.ranking(for: id, members: members) where member != selfID {
            switch await attempt(id, from: member) {
            case .success(let found):
                if lacksLocally { await maybeRepairLocally(found.frame, live: members) }
                return found
            case .failure(let failure):
                reasons.append("node \(member): \(failure.error)")
            }
        }
        logger.debug("no good copy of a chunk on any live member", metadata: [
            "replication.chunk": "\(id)", "replication.reasons": "\(reasons.joined(separator: "; "))",
        ])
        throw .chunkNotFound(id)
    }

    /// Why one member did not give a good copy.
    private struct Failure: Error {
        var error: ReplicationError
        /// The member answered, and has no good copy (not held, quarantined, or a bad frame sent).
        var lacksGoodCopy: Bool
        /// The member sent a frame that failed the checks here.
        var servedBadFrame: Bool
    }

    /// One member's copy of `id`, checked and decoded.
    private func attempt(_ id: ChunkID, from member: MemberID) async -> Result<(frame: ChunkFrame, data: [UInt8]), Failure> {
        let frame: ChunkFrame
        do throws(ReplicationError) {
            frame = try await peers.get(id, from: member)
        } catch {
            switch error {
            case .chunkNotFound, .chunkCorrupt: return .failure(Failure(error: error, lacksGoodCopy: true, servedBadFrame: false))
            default: return .failure(Failure(error: error, lacksGoodCopy: false, servedBadFrame: false))
            }
        }
        do throws(ReplicationError) {
            guard frame.id == id else { throw .idMismatch(expected: id, actual: frame.id) }
            return .success((frame, try frame.decode()))
        } catch {
            logger.debug("a member sent a chunk that failed verification", metadata: [
                "replication.chunk": "\(id)", "replication.member": "\(member)", "replication.error": "\(error)",
            ])
            return .failure(Failure(error: error, lacksGoodCopy: true, servedBadFrame: true))
        }
    }

    /// Stores the good `frame` on this member when it is one of the chunk's replicas among `members`.
    private func maybeRepairLocally(_ frame: ChunkFrame, live members: [MemberID]) async {
        let replicas = Placement.replicas(for: frame.id, members: members,
                                          count: policy.replicaCount(liveCount: members.count))
        guard replicas.contains(selfID) else { return }
        let outcome: String
        do throws(ReplicationError) {
            let results = try await peers.put([frame], on: selfID)
            outcome = results.first.map { result in
                switch result {
                case .success(let stored): "\(stored)"
                case .failure(let error): "failed: \(error)"
                }
            } ?? "no answer"
        } catch {
            outcome = "failed: \(error)"
        }
        logger.debug("read repair", metadata: ["replication.chunk": "\(frame.id)", "replication.outcome": "\(outcome)"])
    }
}

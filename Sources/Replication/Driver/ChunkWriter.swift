import Logging

/// Pushes chunk frames to their replicas and reports how durable each one is (DESIGN.md, Data path,
/// "Write"). Stateless between calls; any number of writes may run at once.
///
/// For each `write`:
/// 1. every frame's replicas are the first R live members in rendezvous order (`Placement.replicas`);
/// 2. each replica is asked once which of its chunks it already has, and is sent only the others
///    (dedup: rewriting a file sends nothing);
/// 3. the frames go out in one `put` per replica per batch of up to `batchBytesMax` frame bytes, to all
///    replicas concurrently; a replica's own store verifies and fsyncs each frame before answering;
/// 4. a chunk is acknowledged when W replicas hold it (`ReplicationPolicy`); otherwise the whole write
///    fails with `.insufficientReplicas` and the caller MUST NOT record the file as stored.
///
/// There is no hinted handoff: a replica that fails is reported in `WriteReceipt.missing` and repair
/// copies the chunk there (or to whichever member replaces it) later.
public final class ChunkWriter: Sendable {
    /// Frame bytes sent in one `put` at most (a single larger frame goes alone). Bounds the size of one
    /// peer message and the memory one call pins.
    public static let batchBytesMax = 16 << 20

    private let peers: any ChunkPeers
    private let policy: ReplicationPolicy
    private let logger: Logger
    /// Once every chunk has W holders, how long the write still waits for the other replicas before it
    /// reports them missing (their calls are cancelled; repair copies the chunks there later). Keeps a
    /// paused or overloaded replica from holding every write up until its calls time out.
    private let stragglerGrace: Duration

    public init(peers: any ChunkPeers, policy: ReplicationPolicy, stragglerGrace: Duration = .seconds(2),
                logger: Logger = Logger(label: "replication.writer")) {
        self.peers = peers
        self.policy = policy
        self.stragglerGrace = stragglerGrace
        self.logger = logger
    }

    /// Stores `frames` on their replicas among `live`; returns one receipt per frame, in order (a chunk
    /// given twice is sent once and gets the same receipt twice).
    ///
    /// The frames are not verified here (the writer made them, and every replica verifies before it
    /// stores). `live` is the members the caller believes are up; a member among them that fails is
    /// treated as a replica that missed the write.
    ///
    /// - Throws: `.insufficientReplicas` for the first chunk (in `frames` order) that fewer than W
    ///   replicas hold, naming each missing replica and why, or with no chunk sent when fewer than
    ///   `policy.minReplicas` members are live. Chunks already stored stay stored (they are harmless:
    ///   unreferenced chunks are collected).
    public func write(_ frames: [ChunkFrame], live: [MemberID]) async throws(ReplicationError) -> [WriteReceipt] {
        guard let first = frames.first else { return [] }
        let members = Array(Set(live)).sorted()
        guard let quorum = policy.writeQuorum(liveCount: members.count) else {
            throw .insufficientReplicas(first.id, durable: 0, required: max(1, policy.minReplicas),
                                        why: "only \(members.count) member(s) are live and writes need at least \(policy.minReplicas)")
        }
        let replicaCount = policy.replicaCount(liveCount: members.count)
        var unique: [ChunkID: ChunkFrame] = [:]
        var order: [ChunkID] = []
        for frame in frames where unique.updateValue(frame, forKey: frame.id) == nil { order.append(frame.id) }
        var placement: [ChunkID: [MemberID]] = [:]
        var assignments: [MemberID: [ChunkFrame]] = [:]
        for id in order {
            let replicas = Placement.replicas(for: id, members: members, count: replicaCount)
            placement[id] = replicas
            for member in replicas { assignments[member, default: []].append(unique[id]!) }
        }
        let outcomes = await sendAll(assignments, placement: placement, quorum: quorum)
        var receipts: [ChunkID: WriteReceipt] = [:]
        for id in order {
            let replicas = placement[id]!
            let holders = replicas.filter { outcomes[$0]?[id] == nil }
            let missing = replicas.filter { outcomes[$0]?[id] != nil }
            guard holders.count >= quorum else {
                let why = missing.map { Self.reason(outcomes[$0]![id]!, member: $0) }.joined(separator: "; ")
                logger.debug("write refused: too few replicas", metadata: [
                    "replication.chunk": "\(id)", "replication.durable": "\(holders.count)", "replication.required": "\(quorum)",
                ])
                let full = missing.allSatisfy { Self.isOutOfSpace(outcomes[$0]![id]!) }
                if full { throw .replicasFull(id, durable: holders.count, required: quorum, why: why) }
                throw .insufficientReplicas(id, durable: holders.count, required: quorum, why: why)
            }
            receipts[id] = WriteReceipt(id: id, holders: holders, missing: missing)
        }
        return frames.map { receipts[$0.id]! }
    }

    /// Sends each member its frames, all members at once; answers, per member, the chunks it did not
    /// take and why (a chunk absent from a member's map is durable there). Once every chunk has `quorum`
    /// holders among the members that answered, the others get `stragglerGrace` more, then their calls
    /// are cancelled and what they did not confirm counts as missing.
    private func sendAll(_ assignments: [MemberID: [ChunkFrame]], placement: [ChunkID: [MemberID]],
                         quorum: Int) async -> [MemberID: [ChunkID: ReplicationError]] {
        let grace = stragglerGrace
        return await withTaskGroup(of: (MemberID, [ChunkID: ReplicationError])?.self) { group in
            for (member, frames) in assignments {
                group.addTask { (member, await self.send(frames, to: member)) }
            }
            var failures: [MemberID: [ChunkID: ReplicationError]] = [:]
            var pending = Set(assignments.keys)
            var graceStarted = false
            while let next = await group.next() {
                guard let (member, failed) = next else {
                    // The grace is over: the stragglers' calls end now, and answer what they confirmed.
                    if !pending.isEmpty {
                        logger.debug("replicas too slow; reported missing", metadata: ["replication.members": "\(pending.sorted())"])
                    }
                    group.cancelAll()
                    continue
                }
                failures[member] = failed
                pending.remove(member)
                if pending.isEmpty {
                    group.cancelAll()  // ends the grace timer, if one runs
                } else if !graceStarted, Self.quorumReached(placement, failures: failures, pending: pending, quorum: quorum) {
                    graceStarted = true
                    group.addTask {
                        try? await Task.sleep(for: grace)
                        return nil
                    }
                }
            }
            for member in pending {
                // Cancelled before it answered at all: nothing it holds is confirmed.
                failures[member] = Dictionary(uniqueKeysWithValues: (assignments[member] ?? []).map {
                    ($0.id, ReplicationError.peerUnavailable(member, "no answer within \(grace) of the other replicas"))
                })
            }
            return failures
        }
    }

    /// Whether every chunk already has `quorum` holders among the members that answered.
    static func quorumReached(_ placement: [ChunkID: [MemberID]], failures: [MemberID: [ChunkID: ReplicationError]],
                              pending: Set<MemberID>, quorum: Int) -> Bool {
        placement.allSatisfy { id, replicas in
            replicas.count { !pending.contains($0) && failures[$0]?[id] == nil } >= quorum
        }
    }

    /// Asks `member` which of `frames` it has, then sends it the rest in batches; answers the chunks it
    /// did not take and why. After a whole call fails, nothing more is sent to that member.
    private func send(_ frames: [ChunkFrame], to member: MemberID) async -> [ChunkID: ReplicationError] {
        var failed: [ChunkID: ReplicationError] = [:]
        let held: [Bool]
        do throws(ReplicationError) {
            held = try await peers.has(frames.map(\.id), on: member)
            guard held.count == frames.count else {
                throw .peerUnavailable(member, "answered has for \(held.count) of \(frames.count) chunks")
            }
        } catch {
            for frame in frames { failed[frame.id] = error }
            return failed
        }
        let needed = zip(frames, held).filter { !$0.1 }.map(\.0)
        let batches = Self.batches(needed, bytesMax: Self.batchBytesMax)
        for (index, batch) in batches.enumerated() {
            do throws(ReplicationError) {
                let results = try await peers.put(batch, on: member)
                guard results.count == batch.count else {
                    throw .peerUnavailable(member, "answered put for \(results.count) of \(batch.count) chunks")
                }
                for (frame, result) in zip(batch, results) {
                    if case .failure(let error) = result { failed[frame.id] = error }
                }
            } catch {
                for frame in batches[index...].joined() { failed[frame.id] = error }
                break
            }
        }
        logger.trace("sent chunks to a replica", metadata: [
            "replication.member": "\(member)", "replication.chunks": "\(frames.count)",
            "replication.sent": "\(needed.count)", "replication.failed": "\(failed.count)",
        ])
        return failed
    }

    /// `frames` cut, in order, into runs of at most `bytesMax` frame bytes (a larger frame alone).
    static func batches(_ frames: [ChunkFrame], bytesMax: Int) -> [[ChunkFrame]] {
        var batches: [[ChunkFrame]] = []
        var current: [ChunkFrame] = []
        var bytes = 0
        for frame in frames {
            if !current.isEmpty && bytes + frame.storedLength > bytesMax {
                batches.append(current)
                current = []
                bytes = 0
            }
            current.append(frame)
            bytes += frame.storedLength
        }
        if !current.isEmpty { batches.append(current) }
        return batches
    }

    /// Why `member` does not hold a chunk, for the error a user sees ("node 3 is unavailable: …").
    static func reason(_ error: ReplicationError, member: MemberID) -> String {
        switch error {
        case .peerUnavailable, .peerOutOfSpace: return error.description
        default: return "node \(member): \(error)"
        }
    }

    /// Whether a replica refused for lack of disk space (its own store, or a peer's).
    static func isOutOfSpace(_ error: ReplicationError) -> Bool {
        switch error {
        case .insufficientSpace, .peerOutOfSpace: return true
        default: return false
        }
    }
}

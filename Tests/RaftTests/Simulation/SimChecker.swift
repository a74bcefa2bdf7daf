@testable import Raft

/// The safety properties of Raft (Figure 3 of the paper), checked after every simulated event.
struct SimChecker {
    private(set) var violations: [String] = []
    /// Election safety: the one leader seen in each term.
    private var leaderOfTerm: [UInt64: NodeID] = [:]
    /// State machine safety: what was applied at each index, by anyone.
    private var appliedAt: [UInt64: (term: UInt64, data: [UInt8])] = [:]
    /// Entries known committed (seen below some node's commit index), by index.
    private var committedTerm: [UInt64: UInt64] = [:]
    private var highestCommitted: UInt64 = 0
    /// Monotonicity within one incarnation of a node.
    private var lastSeen: [NodeID: (incarnation: Int, term: UInt64, commit: UInt64, applied: UInt64)] = [:]
    private var durableTerm: [NodeID: UInt64] = [:]
    private var wasLeader: [NodeID: UInt64] = [:]

    mutating func fail(_ what: String, at time: UInt64) {
        if violations.count < 20 { violations.append("t=\(time)ms: \(what)") }
    }

    /// Checks one live node after an event touched it.
    mutating func observe(node: NodeID, core: RaftCore, incarnation: Int, appliedIndex: UInt64, at time: UInt64) {
        if let problem = core.invariantViolation() { fail(problem, at: time) }
        if core.role == .leader {
            if let other = leaderOfTerm[core.term], other != node {
                fail("two leaders in term \(core.term): \(other) and \(node)", at: time)
            }
            leaderOfTerm[core.term] = node
            if wasLeader[node] != core.term {
                wasLeader[node] = core.term
                checkLeaderCompleteness(node: node, core: core, at: time)
            }
        }
        if let seen = lastSeen[node], seen.incarnation == incarnation {
            if core.term < seen.term { fail("node \(node) term went back \(seen.term) → \(core.term)", at: time) }
            if core.commitIndex < seen.commit {
                fail("node \(node) commit went back \(seen.commit) → \(core.commitIndex)", at: time)
            }
            if appliedIndex < seen.applied {
                fail("node \(node) applied went back \(seen.applied) → \(appliedIndex)", at: time)
            }
        }
        lastSeen[node] = (incarnation, core.term, core.commitIndex, appliedIndex)
        recordCommitted(node: node, core: core, at: time)
    }

    private mutating func recordCommitted(node: NodeID, core: RaftCore, at time: UInt64) {
        guard core.commitIndex > 0 else { return }
        var index = core.commitIndex
        // Walk down only through what is new; entries already recorded are compared.
        while index >= core.firstIndex {
            guard let term = core.log.term(at: index) else { break }
            if let known = committedTerm[index] {
                if known != term {
                    fail("node \(node) has term \(term) at committed index \(index), others committed \(known)", at: time)
                }
                break
            }
            committedTerm[index] = term
            highestCommitted = max(highestCommitted, index)
            index -= 1
        }
    }

    /// Leader completeness: a new leader holds every entry committed before it (§5.4).
    private mutating func checkLeaderCompleteness(node: NodeID, core: RaftCore, at time: UInt64) {
        var index = highestCommitted
        var checked = 0
        while index > core.log.snapshotIndex && checked < 10_000 {
            if let expected = committedTerm[index], core.log.term(at: index) != expected {
                fail("leader \(node) of term \(core.term) lacks committed entry \(index) (term \(expected))", at: time)
                return
            }
            index -= 1
            checked += 1
        }
    }

    /// State machine safety: no two nodes apply different entries at one index.
    mutating func observeApply(node: NodeID, entry: Entry, at time: UInt64) {
        if let known = appliedAt[entry.index] {
            if known.term != entry.term || known.data != entry.data {
                fail("node \(node) applied term \(entry.term) at \(entry.index); another node applied term \(known.term)", at: time)
            }
        } else {
            appliedAt[entry.index] = (entry.term, entry.data)
        }
    }

    /// A snapshot restored at (index, term) must agree with what was applied there.
    mutating func observeSnapshotRestore(node: NodeID, metadata: SnapshotMetadata, at time: UInt64) {
        if let known = appliedAt[metadata.index], known.term != metadata.term {
            fail("node \(node) restored a snapshot at \(metadata.index) term \(metadata.term); applied term \(known.term)", at: time)
        }
    }

    /// The durable term of a node never goes back, across crashes included.
    mutating func observeDurable(node: NodeID, hardState: HardState, at time: UInt64) {
        if let previous = durableTerm[node], hardState.term < previous {
            fail("node \(node) durable term went back \(previous) → \(hardState.term)", at: time)
        }
        durableTerm[node] = max(durableTerm[node] ?? 0, hardState.term)
    }

    /// Log matching (§5.3): if two logs hold an entry with the same index and term, they are identical
    /// up to it. Quadratic in nodes, linear in log length: run it now and then, not every event.
    mutating func checkLogMatching(_ cores: [(NodeID, RaftCore)], at time: UInt64) {
        for (i, (a, coreA)) in cores.enumerated() {
            for (b, coreB) in cores[(i + 1)...] {
                let low = max(coreA.log.firstIndex, coreB.log.firstIndex)
                var high = min(coreA.lastIndex, coreB.lastIndex)
                while high >= low, coreA.log.term(at: high) != coreB.log.term(at: high) { high -= 1 }
                guard high >= low else { continue }
                for index in low...high where coreA.entry(at: index) != coreB.entry(at: index) {
                    fail("log matching: nodes \(a) and \(b) agree at \(high) but differ at \(index)", at: time)
                    return
                }
            }
        }
    }
}

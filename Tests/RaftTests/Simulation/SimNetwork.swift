@testable import Raft

/// The simulated network: directed links that can be cut, a loss rate and a duplication rate. Delay and
/// reordering come from the simulator's random per-message latency.
struct SimNetwork {
    /// Directed links that drop everything: (from, to).
    private(set) var cut: Set<Pair> = []
    var lossPercent: UInt64 = 0
    var duplicatePercent: UInt64 = 0

    struct Pair: Hashable {
        var from: NodeID
        var to: NodeID
    }

    func allows(from: NodeID, to: NodeID) -> Bool {
        !cut.contains(Pair(from: from, to: to))
    }

    func drops(_ random: inout SeededGenerator) -> Bool {
        lossPercent > 0 && random.next() % 100 < lossPercent
    }

    func duplicates(_ random: inout SeededGenerator) -> Bool {
        duplicatePercent > 0 && random.next() % 100 < duplicatePercent
    }

    /// Cuts every link between the two sides, both ways.
    mutating func partition(_ sideA: [NodeID], _ sideB: [NodeID]) {
        for a in sideA {
            for b in sideB {
                cut.insert(Pair(from: a, to: b))
                cut.insert(Pair(from: b, to: a))
            }
        }
    }

    /// Cuts one direction only: `from` can no longer reach `to`, while `to` still reaches `from`.
    mutating func cutOneWay(from: NodeID, to: NodeID) {
        cut.insert(Pair(from: from, to: to))
    }

    mutating func heal() {
        cut = []
        lossPercent = 0
        duplicatePercent = 0
    }

    var description: String {
        cut.map { "\($0.from)→\($0.to)" }.sorted().joined(separator: ",")
    }
}

/// Percentiles over recorded latencies.
struct LatencyStats {
    private(set) var samplesMs: [Double] = []

    mutating func record(_ duration: Duration) {
        samplesMs.append(duration.milliseconds)
    }

    mutating func merge(_ other: LatencyStats) {
        samplesMs.append(contentsOf: other.samplesMs)
    }

    var count: Int { samplesMs.count }

    /// The `p`-th percentile (0...100) by nearest rank; 0 when empty.
    func percentile(_ p: Double) -> Double {
        guard !samplesMs.isEmpty else { return 0 }
        let sorted = samplesMs.sorted()
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }

    var maximum: Double { samplesMs.max() ?? 0 }
}

extension Duration {
    var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1_000 + Double(attoseconds) / 1e15
    }
}

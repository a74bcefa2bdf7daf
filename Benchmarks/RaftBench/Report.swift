import Foundation

/// The 64-proposer rate over the 1-proposer rate (the issue asks for at least 10x).
func speedup(_ results: [ThroughputResult]) -> (proposers: Int, factor: Double) {
    let single = results.first { $0.proposers == 1 }?.perSecond ?? 0
    guard let most = results.max(by: { $0.proposers < $1.proposers }), single > 0 else { return (0, 0) }
    return (most.proposers, most.perSecond / single)
}

func tableReport(_ results: [ThroughputResult], failover: LatencyStats) -> String {
    var lines = ["", "proposers  proposals/s   p50 ms   p99 ms  fsyncs/proposal (leader)  errors"]
    for r in results {
        lines.append(pad("\(r.proposers)", 9) + pad(format(r.perSecond), 14) + pad(format(r.latency.percentile(50)), 9)
            + pad(format(r.latency.percentile(99)), 9) + pad(String(format: "%.3f", r.syncsPerProposal), 26)
            + pad("\(r.errors)", 8))
    }
    let (proposers, factor) = speedup(results)
    lines.append("")
    lines.append("speedup \(proposers) vs 1 proposer: \(format(factor))x (target >= 10x)")
    lines.append("failover (\(failover.count) trials): median \(format(failover.percentile(50))) ms, "
        + "max \(format(failover.maximum)) ms (target median <= 600 ms, max <= 1500 ms)")
    return lines.joined(separator: "\n")
}

func jsonReport(_ results: [ThroughputResult], failover: LatencyStats, options: BenchOptions) -> String {
    let rows = results.map { r in
        "{\"proposers\":\(r.proposers),\"proposals\":\(r.proposals),\"errors\":\(r.errors),"
            + "\"perSecond\":\(format(r.perSecond)),\"p50Ms\":\(format(r.latency.percentile(50))),"
            + "\"p99Ms\":\(format(r.latency.percentile(99))),"
            + "\"fsyncsPerProposal\":\(String(format: "%.4f", r.syncsPerProposal))}"
    }
    let trials = failover.samplesMs.map(format).joined(separator: ",")
    return "{\"entryBytes\":\(options.entryBytes),\"durationSeconds\":\(format(options.duration.milliseconds / 1000)),"
        + "\"throughput\":[\(rows.joined(separator: ","))],\"speedup\":\(format(speedup(results).factor)),"
        + "\"failover\":{\"trialsMs\":[\(trials)],\"medianMs\":\(format(failover.percentile(50))),"
        + "\"maxMs\":\(format(failover.maximum))},"
        + "\"targets\":{\"speedupMin\":10,\"failoverMedianMsMax\":600,\"failoverMaxMsMax\":1500}}"
}

func format(_ value: Double) -> String {
    String(format: "%.1f", value)
}

func pad(_ text: String, _ width: Int) -> String {
    String(repeating: " ", count: max(0, width - text.count)) + text
}

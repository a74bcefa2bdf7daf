import Prometheus
import Raft

/// The metrics of one node, in a Prometheus registry that this node owns (not the process-wide
/// default), so that several nodes in one test process never share a counter.
///
/// Names are `pachd_<subsystem>_<what>_<unit>`; counters end in `_total`. Labels are few and bounded:
/// a Raft role (4 values), a peer's node id (the cluster's size), a peer call kind (4), a proposal
/// failure reason (5), an API method (the services' methods) and a gRPC status code (17).
///
/// Raft's gauges are not pushed by the Raft loop: `exposition(sampling:)` copies a `RaftStatus` into
/// them just before it renders, so a scrape always shows the status at that moment.
final class NodeMetrics: Sendable {
    /// The registry every metric of this node lives in; pachd also points the swift-metrics
    /// `MetricsSystem` at it (through a `PrometheusMetricsFactory`), so libraries' metrics show up too.
    let registry: PrometheusCollectorRegistry

    private let term: Gauge
    private let roles: [Role: Gauge]
    private let isLeader: Gauge
    private let commitIndex: Gauge
    private let appliedIndex: Gauge
    private let lastIndex: Gauge
    private let snapshotIndex: Gauge
    private let voters: Gauge
    private let proposalsSubmitted: Counter
    private let proposalsSucceeded: Counter
    private let proposalSeconds: DurationHistogram
    private let syncSeconds: DurationHistogram

    /// Every role `pachd_raft_role` has a series for.
    static let allRoles: [Role] = [.follower, .preCandidate, .candidate, .leader]

    /// fsync/fdatasync latency buckets: from a battery-backed cache (~0.1 ms) to a struggling disk (1 s).
    static let syncBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .microseconds(2500),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1),
    ]

    /// Proposal latency buckets: one local fsync up to the request timeout (5 s).
    static let proposalBuckets: [Duration] = [
        .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .milliseconds(2500), .seconds(5),
    ]

    /// Creates every fixed metric in `registry` (a new one by default), so a scrape lists them all from
    /// the start, at zero, rather than only once something happened.
    init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        func gauge(_ name: String, _ help: String) -> Gauge {
            registry.makeGauge(descriptor: Self.raft(name, help: help))
        }
        term = gauge("term", "The node's current Raft term.")
        roles = Dictionary(uniqueKeysWithValues: Self.allRoles.map { role in
            (role, registry.makeGauge(
                descriptor: Self.raft("role", help: "1 for the Raft role this node plays now, 0 for the others."),
                labels: [("role", role.rawValue)]))
        })
        isLeader = gauge("is_leader", "1 while this node is the Raft leader, else 0.")
        commitIndex = gauge("commit_index", "The highest log index this node knows committed.")
        appliedIndex = gauge("applied_index", "The highest log index the state machine has applied.")
        lastIndex = gauge("last_log_index", "The index of the last entry in this node's log.")
        snapshotIndex = gauge("snapshot_index", "The index of this node's latest snapshot (0: none).")
        voters = gauge("voters", "Voters in the membership this node follows.")
        proposalsSubmitted = registry.makeCounter(
            descriptor: Self.raft("proposals_submitted", unit: "total",
                                  help: "Proposals this node's API handed to Raft."))
        proposalsSucceeded = registry.makeCounter(
            descriptor: Self.raft("proposals_succeeded", unit: "total", help: "Proposals applied and answered."))
        proposalSeconds = registry.makeDurationHistogram(
            descriptor: Self.raft("proposal", unit: "seconds",
                                  help: "Time from handing a proposal to Raft until its answer (or failure)."),
            buckets: Self.proposalBuckets)
        syncSeconds = registry.makeDurationHistogram(
            descriptor: Self.raft("fsync", unit: "seconds",
                                  help: "Duration of each fsync or fdatasync of the Raft log, snapshots and "
                                      + "their directories."),
            buckets: Self.syncBuckets)
        for reason in ProposalFailure.allCases { _ = proposalFailures(reason) }
    }

    /// `pachd_<subsystem>_<name>[_<unit>]`.
    static func name(_ subsystem: String, _ name: String, unit: String = "", help: String)
        -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "pachd", subsystem: subsystem, metricName: name, unitName: unit, helpText: help)
    }

    private static func raft(_ name: String, unit: String = "", help: String) -> MetricNameDescriptor {
        Self.name("raft", name, unit: unit, help: help)
    }

    // MARK: Raft

    /// Copies `status` into the Raft gauges.
    func sample(_ status: RaftStatus) {
        term.set(to: Double(status.term))
        for (role, gauge) in roles { gauge.set(to: role == status.role ? 1 : 0) }
        isLeader.set(to: status.role == .leader ? 1 : 0)
        commitIndex.set(to: Double(status.commitIndex))
        appliedIndex.set(to: Double(status.appliedIndex))
        lastIndex.set(to: Double(status.lastIndex))
        snapshotIndex.set(to: Double(status.snapshotIndex))
        voters.set(to: Double(status.configuration.voters.count))
    }

    /// Records one fsync or fdatasync; `DiskStorage` calls it (its `onSync`) on the thread that synced.
    func recordSync(_ duration: Duration) {
        syncSeconds.record(duration)
    }

    // MARK: Proposals

    /// Why a proposal failed, as a label value.
    enum ProposalFailure: String, CaseIterable, Sendable {
        case noLeader = "no_leader"
        case dropped
        case timeout
        case stopped
        case other

        init(_ error: RaftError) {
            switch error {
            case .noLeader: self = .noLeader
            case .proposalDropped: self = .dropped
            case .timeout: self = .timeout
            case .stopped: self = .stopped
            default: self = .other
            }
        }
    }

    /// Counts a proposal handed to Raft; call `proposalFinished` with its outcome.
    func proposalSubmitted() {
        proposalsSubmitted.increment()
    }

    /// Counts a proposal's outcome (nil: it succeeded) and records how long it took.
    func proposalFinished(failure: RaftError?, elapsed: Duration) {
        if let failure {
            proposalFailures(ProposalFailure(failure)).increment()
        } else {
            proposalsSucceeded.increment()
        }
        proposalSeconds.record(elapsed)
    }

    private func proposalFailures(_ reason: ProposalFailure) -> Counter {
        registry.makeCounter(
            descriptor: Self.raft("proposals_failed", unit: "total",
                                  help: "Proposals that failed, by reason (a timeout's outcome is unknown)."),
            labels: [("reason", reason.rawValue)])
    }

    // MARK: Peers

    /// Which peer call failed.
    enum PeerCall: String, Sendable {
        /// The `Hello` that opens each (re)connection.
        case hello
        /// The long-lived `Stream` call carrying Raft messages.
        case stream
        /// An `InstallSnapshot` transfer.
        case snapshot
        /// A `Status` request (cluster status, leadership hand-off).
        case status
    }

    /// Counts a failed call to `peer`.
    func peerError(_ peer: NodeID, call: PeerCall) {
        registry.makeCounter(
            descriptor: Self.name("peer", "rpc_errors", unit: "total",
                                  help: "Failed calls to a peer, by peer node id and call."),
            labels: [("peer", "\(peer)"), ("call", call.rawValue)]).increment()
    }

    /// Counts Raft messages to `peer` dropped because its stream was down or its queue full.
    func peerMessagesDropped(_ peer: NodeID, count: Int) {
        guard count > 0 else { return }
        registry.makeCounter(
            descriptor: Self.name("peer", "messages_dropped", unit: "total",
                                  help: "Raft messages to a peer dropped (stream down or queue full)."),
            labels: [("peer", "\(peer)")]).increment(by: Int64(count))
    }

    // MARK: API

    /// Counts one public API call that ended with `code` (a canonical gRPC name, e.g. `OK`).
    func apiRequest(method: String, code: String) {
        registry.makeCounter(
            descriptor: Self.name("api", "requests", unit: "total",
                                  help: "Public API calls, by method and gRPC status code."),
            labels: [("method", method), ("code", code)]).increment()
    }

    // MARK: Exposition

    /// The content type of `exposition`: Prometheus' text format 0.0.4.
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Every metric in the text format, after copying `status` (when given) into the Raft gauges.
    func exposition(sampling status: RaftStatus? = nil) -> [UInt8] {
        if let status { sample(status) }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(8 << 10)
        registry.emit(into: &buffer)
        return buffer
    }
}

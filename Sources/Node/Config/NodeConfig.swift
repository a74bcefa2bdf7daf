import Logging
import Raft

/// Everything pachd is started with, validated: `NodeConfig.parse` turns flags and a config file into
/// one of these or a `ConfigError`.
struct NodeConfig: Sendable, Equatable {
    /// The certificate files of this node's TLS identity, all PEM.
    struct TLSFiles: Sendable, Equatable {
        /// This node's certificate, signed by the cluster CA; its SAN names `node<id>` and the addresses.
        var certificate: String
        var privateKey: String
        /// The cluster CA: the only trust root, for peers and for clients verifying this node.
        var certificateAuthority: String
    }

    /// This node's Raft id (never 0).
    var id: NodeID
    /// The cluster id (32 lowercase hex characters); every member shares it.
    var clusterID: String
    /// Holds `raft/`, `cluster-id`, `node-id` and later chunks.
    var dataDir: String
    /// Where the public API (pfs, admin) listens.
    var apiAddress: HostPort
    /// Where the peer API (raftpb.Peer) listens.
    var peerAddress: HostPort
    /// Where the Prometheus endpoint (`GET /metrics`) listens; nil: no endpoint.
    var metricsAddress: HostPort?
    /// Peer addresses by node id. For a founder: the founding voters, itself included.
    var peers: [NodeID: HostPort]
    /// Start with an empty log and wait to be added by the leader, instead of bootstrapping.
    var join: Bool
    /// The leader's membership duties (when a silent member counts as down).
    var membership = Membership.Options()
    /// The chunk store: replication factor, repair pace, disk reserve.
    var chunks = NodeChunks.Options()
    var tls: TLSFiles
    /// The file holding the admin token (pachd keeps only its SHA-256).
    var adminTokenFile: String
    var logLevel: Logger.Level
    /// Log lines go here (appended); nil means standard error.
    var logFile: String?
    /// Datums this node runs at once.
    var workerSlots = 2
    /// How user code runs: bwrap where it works (else the plain process fallback), or one of them forced.
    var runtime = JobRuntimeChoice.auto
    /// `--datum-inputs`: FUSE views of the datums' inputs where FUSE works (auto, fuse), or copies (copy).
    var datumInputs = "auto"

    /// The founding voters to bootstrap from on first start, or nil for a joining node.
    var bootstrapVoters: [NodeID]? {
        join ? nil : peers.keys.sorted()
    }

    /// The directory `DiskStorage` owns.
    var raftDirectory: String { "\(dataDir)/raft" }

    /// The directory the chunk store owns.
    var chunkDirectory: String { "\(dataDir)/chunks" }

    /// Where the worker lays out running datums (emptied as they finish).
    var jobsDirectory: String { "\(dataDir)/jobs" }
}

/// The settings pachd understands: flag names without `--`, which are also the config-file keys.
enum ConfigKey: String, CaseIterable, Sendable {
    case id
    case clusterID = "cluster-id"
    case dataDir = "data-dir"
    case apiAddress = "api-address"
    case peerAddress = "peer-address"
    case metricsAddress = "metrics-address"
    case peers
    case join
    case downAfter = "down-after"
    case replicationFactor = "replication-factor"
    case repairInterval = "repair-interval"
    case gcInterval = "gc-interval"
    case gcGrace = "gc-grace"
    case chunkReserve = "chunk-reserve"
    case tlsCert = "tls-cert"
    case tlsKey = "tls-key"
    case tlsCA = "tls-ca"
    case adminTokenFile = "admin-token-file"
    case logLevel = "log-level"
    case logFile = "log-file"
    case workerSlots = "worker-slots"
    case runtime
    case datumInputs = "datum-inputs"
    case config

    /// `--name`, as errors print it.
    var flag: String { "--\(rawValue)" }

    /// Keys that take no value on the command line.
    var isSwitch: Bool { self == .join }
}

import Logging
import Raft

extension NodeConfig {
    /// Validates `settings` (flags merged with the config file) into a config. Checks, in order, each
    /// with its own one-line error: required settings, the id, the cluster id, addresses, the peer
    /// list (and that a founder is in it), the log level, and that the TLS and token files exist.
    init(settings: [ConfigKey: String], fileExists: (String) -> Bool) throws(ConfigError) {
        func required(_ key: ConfigKey) throws(ConfigError) -> String {
            guard let value = settings[key], !value.isEmpty else { throw ConfigError("\(key.flag) is required") }
            return value
        }
        id = try Self.nodeID(try required(.id), flag: ConfigKey.id.flag)
        clusterID = try Self.clusterID(try required(.clusterID))
        dataDir = try required(.dataDir)
        apiAddress = try HostPort(parsing: try required(.apiAddress), flag: ConfigKey.apiAddress.flag)
        try apiAddress.requireIP(flag: ConfigKey.apiAddress.flag)
        peerAddress = try HostPort(parsing: try required(.peerAddress), flag: ConfigKey.peerAddress.flag)
        try peerAddress.requireIP(flag: ConfigKey.peerAddress.flag)
        if let metrics = settings[.metricsAddress] {
            let address = try HostPort(parsing: metrics, flag: ConfigKey.metricsAddress.flag)
            try address.requireIP(flag: ConfigKey.metricsAddress.flag)
            metricsAddress = address
        } else {
            metricsAddress = nil
        }
        join = try Self.switchValue(settings[.join], key: .join)
        if let text = settings[.downAfter] {
            membership.downAfter = try Self.duration(text, flag: ConfigKey.downAfter.flag)
        }
        if let text = settings[.replicationFactor] {
            guard let factor = Int(text), (1...9).contains(factor) else {
                throw ConfigError("--replication-factor: '\(text)' is not a number from 1 to 9")
            }
            chunks.replicationFactor = factor
        }
        if let text = settings[.repairInterval] {
            chunks.repairInterval = try Self.duration(text, flag: ConfigKey.repairInterval.flag)
        }
        if let text = settings[.gcInterval] {
            chunks.gcInterval = try Self.duration(text, flag: ConfigKey.gcInterval.flag)
        }
        if let text = settings[.gcGrace] {
            chunks.gcGrace = try Self.duration(text, flag: ConfigKey.gcGrace.flag)
        }
        if let text = settings[.chunkReserve] {
            chunks.reserveBytes = try Self.size(text, flag: ConfigKey.chunkReserve.flag)
        }
        if let text = settings[.workerSlots] {
            guard let slots = Int(text), (1...256).contains(slots) else {
                throw ConfigError("--worker-slots: '\(text)' is not a number from 1 to 256")
            }
            workerSlots = slots
        }
        if let text = settings[.runtime] {
            guard let choice = JobRuntimeChoice(rawValue: text) else {
                throw ConfigError("--runtime: '\(text)' is not one of auto, bwrap, process")
            }
            runtime = choice
        }
        if let text = settings[.datumInputs] {
            guard ["auto", "fuse", "copy"].contains(text) else {
                throw ConfigError("--datum-inputs: '\(text)' is not one of auto, fuse, copy")
            }
            datumInputs = text
        }
        peers = try Self.peerList(try required(.peers))
        tls = TLSFiles(certificate: try required(.tlsCert), privateKey: try required(.tlsKey),
                       certificateAuthority: try required(.tlsCA))
        adminTokenFile = try required(.adminTokenFile)
        logLevel = try Self.logLevel(settings[.logLevel] ?? "info")
        logFile = settings[.logFile].flatMap { $0.isEmpty ? nil : $0 }
        try checkMembership()
        try checkDistinctAddresses()
        for (key, path) in [(ConfigKey.tlsCert, tls.certificate), (.tlsKey, tls.privateKey),
                            (.tlsCA, tls.certificateAuthority), (.adminTokenFile, adminTokenFile)]
        where !fileExists(path) {
            throw ConfigError("\(key.flag): cannot read '\(path)' (no such file, or not readable)")
        }
    }

    /// A founder must be one of the founding voters, and the address the others use for it must be the
    /// port it listens on (otherwise they would talk to someone else, or to nobody).
    private func checkMembership() throws(ConfigError) {
        guard let listed = peers[id] else {
            if join { return }
            throw ConfigError("--peers: node \(id) is not listed; a founding node must list itself "
                + "(or start with --join to be added later)")
        }
        guard listed.port == peerAddress.port else {
            throw ConfigError("--peers lists node \(id) at \(listed) but --peer-address is \(peerAddress)")
        }
    }

    private func checkDistinctAddresses() throws(ConfigError) {
        if apiAddress.port == peerAddress.port {
            throw ConfigError("--api-address and --peer-address must use different ports (both \(apiAddress.port))")
        }
        if let metricsAddress, metricsAddress.port == apiAddress.port || metricsAddress.port == peerAddress.port {
            throw ConfigError("--metrics-address \(metricsAddress) clashes with the api or peer port")
        }
    }

    static func nodeID(_ text: String, flag: String) throws(ConfigError) -> NodeID {
        guard let value = UInt64(text), value != noNode else {
            throw ConfigError("\(flag): '\(text)' is not a node id (use an integer from 1)")
        }
        return value
    }

    /// 32 hex characters, kept lowercase so that the identity file and Hello compare exactly.
    static func clusterID(_ text: String) throws(ConfigError) -> String {
        guard text.count == 32, text.allSatisfy(\.isHexDigit) else {
            throw ConfigError("--cluster-id: '\(text)' is not 32 hex characters (e.g. from `openssl rand -hex 16`)")
        }
        return text.lowercased()
    }

    /// `1=127.0.0.1:30751,2=127.0.0.1:30752`: distinct ids and distinct addresses.
    static func peerList(_ text: String) throws(ConfigError) -> [NodeID: HostPort] {
        var peers: [NodeID: HostPort] = [:]
        for item in text.split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else {
                throw ConfigError("--peers: '\(item)' is not id=host:port (e.g. 1=127.0.0.1:30751)")
            }
            let id = try nodeID(String(parts[0]).trimmingSpaces, flag: "--peers")
            let address = try HostPort(parsing: String(parts[1]).trimmingSpaces, flag: "--peers")
            guard peers[id] == nil else { throw ConfigError("--peers: node \(id) is listed twice") }
            if let other = peers.first(where: { $0.value == address }) {
                throw ConfigError("--peers: nodes \(other.key) and \(id) share the address \(address)")
            }
            peers[id] = address
        }
        guard !peers.isEmpty else { throw ConfigError("--peers: lists no node") }
        return peers
    }

    /// `30s`, `1500ms`, or a plain number of seconds; at least 100 ms, at most a day.
    static func duration(_ text: String, flag: String) throws(ConfigError) -> Duration {
        let millis: Int64?
        if text.hasSuffix("ms") {
            millis = Int64(text.dropLast(2))
        } else if text.hasSuffix("s") {
            millis = Int64(text.dropLast()).map { $0 * 1000 }
        } else {
            millis = Int64(text).map { $0 * 1000 }
        }
        guard let millis, (100...86_400_000).contains(millis) else {
            throw ConfigError("\(flag): '\(text)' is not a duration from 100ms to 86400s (e.g. 30s or 1500ms)")
        }
        return .milliseconds(millis)
    }

    /// `1073741824`, `512MiB`, `1GiB`, `64KiB` (binary units; `K`, `M`, `G` mean the same).
    static func size(_ text: String, flag: String) throws(ConfigError) -> Int {
        let units: [(String, Int)] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("G", 1 << 30),
                                      ("M", 1 << 20), ("K", 1 << 10), ("B", 1)]
        var number = Substring(text)
        var scale = 1
        for (suffix, value) in units where text.hasSuffix(suffix) {
            number = text.dropLast(suffix.count)
            scale = value
            break
        }
        guard let count = Int(number), count >= 0, count <= Int.max / scale else {
            throw ConfigError("\(flag): '\(text)' is not a size (e.g. 1GiB, 512MiB or a number of bytes)")
        }
        return count * scale
    }

    static func logLevel(_ text: String) throws(ConfigError) -> Logger.Level {
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            let names = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
            throw ConfigError("--log-level: '\(text)' is not one of \(names)")
        }
        return level
    }

    static func switchValue(_ text: String?, key: ConfigKey) throws(ConfigError) -> Bool {
        switch text?.lowercased() {
        case nil, "false", "no", "0": return false
        case "true", "yes", "1": return true
        case let other?: throw ConfigError("\(key.flag): '\(other)' is not true or false")
        }
    }
}

extension String {
    var trimmingSpaces: String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}

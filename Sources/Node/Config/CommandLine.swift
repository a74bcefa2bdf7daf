import Foundation

/// What the command line asks for.
enum LaunchRequest: Sendable, Equatable {
    /// Run a node with this configuration.
    case run(NodeConfig)
    /// Print the usage text and exit 0.
    case help
    /// Print the version and exit 0.
    case version
}

/// Flags and `--config FILE` → settings. Flags are `--name value`, `--name=value` or the bare switch
/// `--join`; the file holds `name = value` lines with the same names (`#` starts a comment). A flag
/// wins over the same key in the file, so a shared file can be overridden per node.
enum CommandLineParser {
    /// Parses `arguments` (without the program name). `readFile` reads the `--config` file and
    /// `fileExists` checks the certificate and token files; both are injected so tests need no files.
    static func parse(
        _ arguments: [String],
        readFile: (String) throws -> String = { try String(contentsOfFile: $0, encoding: .utf8) },
        fileExists: (String) -> Bool = { FileManager.default.isReadableFile(atPath: $0) }
    ) throws(ConfigError) -> LaunchRequest {
        if arguments.contains(where: { $0 == "--help" || $0 == "-h" }) { return .help }
        if arguments.contains("--version") { return .version }
        var settings = try flags(arguments)
        if let path = settings[.config] {
            let text: String
            do { text = try readFile(path) } catch {
                throw ConfigError("--config: cannot read '\(path)': \(error.localizedDescription)")
            }
            for (key, value) in try configFile(text, path: path) where settings[key] == nil {
                settings[key] = value
            }
        }
        return .run(try NodeConfig(settings: settings, fileExists: fileExists))
    }

    /// The flags as key → value; a switch given bare gets "true".
    static func flags(_ arguments: [String]) throws(ConfigError) -> [ConfigKey: String] {
        var settings: [ConfigKey: String] = [:]
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("--"), argument.count > 2 else {
                throw ConfigError("unexpected argument '\(argument)' (flags start with --; see --help)")
            }
            let body = argument.dropFirst(2)
            let name = body.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
            guard let key = ConfigKey(rawValue: name) else {
                throw ConfigError("unknown flag --\(name) (see --help)")
            }
            guard settings[key] == nil else { throw ConfigError("\(key.flag) is given twice") }
            if let equals = body.firstIndex(of: "=") {
                settings[key] = String(body[body.index(after: equals)...])
            } else if key.isSwitch {
                settings[key] = "true"
            } else {
                guard index < arguments.count, !arguments[index].hasPrefix("--") else {
                    throw ConfigError("\(key.flag) needs a value")
                }
                settings[key] = arguments[index]
                index += 1
            }
        }
        return settings
    }

    /// The `key = value` lines of a config file. `config` itself may not appear (no includes).
    static func configFile(_ text: String, path: String) throws(ConfigError) -> [ConfigKey: String] {
        var settings: [ConfigKey: String] = [:]
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
                .trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            let place = "\(path):\(number + 1)"
            guard let equals = line.firstIndex(of: "=") else {
                throw ConfigError("\(place): expected 'name = value', found '\(line)'")
            }
            let name = line[..<equals].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                value = String(value.dropFirst().dropLast())
            }
            guard let key = ConfigKey(rawValue: name), key != .config else {
                throw ConfigError("\(place): unknown setting '\(name)'")
            }
            guard settings[key] == nil else { throw ConfigError("\(place): '\(name)' is set twice") }
            settings[key] = value
        }
        return settings
    }

    /// The `--help` text.
    static let usage = """
        usage: pachd --id N --data-dir DIR --cluster-id HEX32 \\
                     --api-address HOST:PORT --peer-address HOST:PORT [--metrics-address HOST:PORT] \\
                     --peers ID=HOST:PORT,... \\
                     --tls-cert FILE --tls-key FILE --tls-ca FILE --admin-token-file FILE \\
                     [--join] [--down-after DURATION] [--replication-factor N] [--repair-interval DURATION] \\
                     [--gc-interval DURATION] [--gc-grace DURATION] [--chunk-reserve SIZE] [--worker-slots N] [--runtime auto|bwrap|process] [--datum-inputs auto|fuse|copy] \\
                     [--log-level LEVEL] [--log-file FILE] [--config FILE]

          --id                node id, an integer from 1, unique in the cluster
          --data-dir          where the Raft log, snapshots and identity files live
          --cluster-id        32 hex characters chosen when the cluster is created
          --api-address       listen address of the public API (pachctl)
          --peer-address      listen address of the peer API (other pachd nodes)
          --metrics-address   listen address of the Prometheus endpoint (GET /metrics)
          --peers             id=peer-address of the founding voters (a founder lists itself)
          --join              start empty and ask the members in --peers to admit this node
          --down-after        silence after which the leader records a member as down (default 30s)
          --replication-factor  copies of every chunk, R (default 3; fewer while fewer nodes are up)
          --repair-interval   how often the leader checks that every chunk has R copies (default 10s)
          --gc-interval       how often the leader collects chunks no commit refers to (default 5m)
          --gc-grace          a chunk written or reused within this long is never collected (default 1h)
          --chunk-reserve     free disk space the chunk store leaves alone (default 1GiB)
          --worker-slots      datums this node runs at once (default 2)
          --runtime           how user code runs: auto (bwrap where it works, else process), bwrap, process
          --datum-inputs      how a datum's inputs reach its code: auto or fuse (FUSE views where FUSE mounts,
                              else copies, logged), copy (local copies)
          --tls-cert/-key     this node's certificate and key (PEM), signed by the cluster CA
          --tls-ca            the cluster CA certificate (PEM)
          --admin-token-file  file holding the admin token
          --log-level         trace, debug, info, notice, warning, error or critical (default info)
          --log-file          append logs here (default: standard error)
          --config            a file of 'name = value' lines with the same names; flags win
        """
}

import Foundation
import Testing
@testable import Node

/// Flags and config files → `NodeConfig`, and every validation error a user can hit.
struct ConfigTests {
    static let clusterID = String(repeating: "ab", count: 16)

    /// A valid founder's command line for node 1 of 3.
    static let valid: [String] = [
        "--id", "1", "--data-dir", "/tmp/pachd-test/node1", "--cluster-id", clusterID,
        "--api-address", "127.0.0.1:30651", "--peer-address", "127.0.0.1:30751",
        "--peers", "1=127.0.0.1:30751,2=127.0.0.1:30752,3=127.0.0.1:30753",
        "--tls-cert", "node1.crt", "--tls-key", "node1.key", "--tls-ca", "ca.crt",
        "--admin-token-file", "admin-token",
    ]

    static func arguments(setting flag: String, to value: String?) -> [String] {
        var arguments = valid
        if let index = arguments.firstIndex(of: flag) {
            if let value { arguments[index + 1] = value } else { arguments.removeSubrange(index...index + 1) }
        } else if let value {
            arguments += [flag, value]
        }
        return arguments
    }

    static func parse(_ arguments: [String], missing: Set<String> = [],
                      files: [String: String] = [:]) throws(ConfigError) -> NodeConfig {
        let request = try CommandLineParser.parse(arguments, readFile: { path in
            guard let text = files[path] else { throw CocoaError(.fileNoSuchFile) }
            return text
        }, fileExists: { !missing.contains($0) })
        guard case .run(let config) = request else { Issue.record("expected a config, got \(request)"); throw ConfigError("none") }
        return config
    }

    @Test func aValidCommandLineParses() throws {
        let config = try Self.parse(Self.valid)
        #expect(config.id == 1)
        #expect(config.clusterID == Self.clusterID)
        #expect(config.apiAddress == HostPort(host: "127.0.0.1", port: 30651))
        #expect(config.peers.count == 3)
        #expect(config.peers[2] == HostPort(host: "127.0.0.1", port: 30752))
        #expect(config.bootstrapVoters == [1, 2, 3])
        #expect(config.logLevel == .info)
        #expect(config.logFile == nil)
        #expect(config.metricsAddress == nil)
        #expect(config.raftDirectory == "/tmp/pachd-test/node1/raft")
    }

    @Test func equalsFormSwitchAndUppercaseClusterID() throws {
        var arguments = Self.arguments(setting: "--cluster-id", to: Self.clusterID.uppercased())
        arguments += ["--join", "--log-level=debug", "--metrics-address=127.0.0.1:30851"]
        let config = try Self.parse(arguments)
        #expect(config.clusterID == Self.clusterID)
        #expect(config.join)
        #expect(config.bootstrapVoters == nil)
        #expect(config.logLevel == .debug)
        #expect(config.metricsAddress == HostPort(host: "127.0.0.1", port: 30851))
        #expect(config.membership.downAfter == .seconds(30))
    }

    @Test func helpAndVersion() throws {
        #expect(try CommandLineParser.parse(["--id", "1", "--help"]) == .help)
        #expect(try CommandLineParser.parse(["-h"]) == .help)
        #expect(try CommandLineParser.parse(["--version"]) == .version)
    }

    struct BadCase: Sendable, CustomStringConvertible {
        var flag: String
        var value: String?
        var error: String
        var description: String { "\(flag)=\(value ?? "<removed>")" }
    }

    static let badCases: [BadCase] = [
        BadCase(flag: "--id", value: "0", error: "--id: '0' is not a node id (use an integer from 1)"),
        BadCase(flag: "--id", value: "x1", error: "--id: 'x1' is not a node id"),
        BadCase(flag: "--id", value: nil, error: "--id is required"),
        BadCase(flag: "--data-dir", value: nil, error: "--data-dir is required"),
        BadCase(flag: "--cluster-id", value: "abc", error: "--cluster-id: 'abc' is not 32 hex characters"),
        BadCase(flag: "--cluster-id", value: String(repeating: "g", count: 32), error: "is not 32 hex characters"),
        BadCase(flag: "--api-address", value: "127.0.0.1", error: "--api-address: '127.0.0.1' is not an address"),
        BadCase(flag: "--api-address", value: "127.0.0.1:70000", error: "--api-address: '127.0.0.1:70000' has no valid port"),
        BadCase(flag: "--api-address", value: "localhost:30651", error: "must be an IP address to listen on"),
        BadCase(flag: "--api-address", value: "300.1.1.1:30651", error: "is not an address"),
        BadCase(flag: "--api-address", value: "127.0.0.1:30751", error: "must use different ports"),
        BadCase(flag: "--peer-address", value: "127.0.0.1:30799",
                error: "--peers lists node 1 at 127.0.0.1:30751 but --peer-address is 127.0.0.1:30799"),
        BadCase(flag: "--metrics-address", value: "127.0.0.1:30651", error: "clashes with the api or peer port"),
        BadCase(flag: "--peers", value: "2=127.0.0.1:30752,3=127.0.0.1:30753",
                error: "--peers: node 1 is not listed; a founding node must list itself"),
        BadCase(flag: "--peers", value: "1=127.0.0.1:30751,1=127.0.0.1:30752", error: "--peers: node 1 is listed twice"),
        BadCase(flag: "--peers", value: "1=127.0.0.1:30751,2=127.0.0.1:30751", error: "share the address"),
        BadCase(flag: "--peers", value: "1:127.0.0.1:30751", error: "is not id=host:port"),
        BadCase(flag: "--peers", value: "0=127.0.0.1:30751", error: "--peers: '0' is not a node id"),
        BadCase(flag: "--peers", value: "1=127.0.0.1:30751,2=bad_host:1", error: "--peers: 'bad_host:1' is not an address"),
        BadCase(flag: "--log-level", value: "loud", error: "--log-level: 'loud' is not one of trace, debug"),
        BadCase(flag: "--tls-cert", value: nil, error: "--tls-cert is required"),
        BadCase(flag: "--down-after", value: "soon", error: "--down-after: 'soon' is not a duration"),
        BadCase(flag: "--down-after", value: "50ms", error: "is not a duration from 100ms to 86400s"),
        BadCase(flag: "--bogus", value: "1", error: "unknown flag --bogus"),
        BadCase(flag: "--id", value: "--data-dir", error: "--id needs a value"),
    ]

    @Test(arguments: badCases)
    func badCommandLinesAreRefusedWithOneClearLine(_ bad: BadCase) {
        do {
            _ = try Self.parse(Self.arguments(setting: bad.flag, to: bad.value))
            Issue.record("\(bad) was accepted")
        } catch {
            #expect(error.message.contains(bad.error), "got: \(error.message)")
            #expect(!error.message.contains("\n"))
        }
    }

    @Test(arguments: [("--tls-cert", "node1.crt"), ("--tls-key", "node1.key"), ("--tls-ca", "ca.crt"),
                      ("--admin-token-file", "admin-token")])
    func missingFilesAreNamed(flag: String, path: String) {
        #expect(throws: ConfigError("\(flag): cannot read '\(path)' (no such file, or not readable)")) {
            _ = try Self.parse(Self.valid, missing: [path])
        }
    }

    @Test func aFlagGivenTwiceIsRefused() {
        #expect(throws: ConfigError("--id is given twice")) { _ = try Self.parse(Self.valid + ["--id", "2"]) }
    }

    @Test func aJoiningNodeNeedNotListItself() throws {
        let arguments = Self.arguments(setting: "--peers", to: "2=127.0.0.1:30752") + ["--join"]
        let config = try Self.parse(arguments)
        #expect(config.join)
        #expect(config.peers.keys.sorted() == [2])
    }

    @Test func configFileFillsInAndFlagsWin() throws {
        let file = """
            # node 2 of the test cluster
            id = 2
            log-level = debug   # chatty
            peer-address = 127.0.0.1:30752
            log-file = "/tmp/pachd test.log"
            """
        var arguments = Self.arguments(setting: "--id", to: nil)
        arguments = arguments.filter { $0 != "--peer-address" && $0 != "127.0.0.1:30751" }
        arguments += ["--config", "node.conf", "--log-level", "warning"]
        let config = try Self.parse(arguments, files: ["node.conf": file])
        #expect(config.id == 2)
        #expect(config.peerAddress.port == 30752)
        #expect(config.logLevel == .warning)
        #expect(config.logFile == "/tmp/pachd test.log")
    }

    @Test(arguments: [
        ("id 1", "node.conf:1: expected 'name = value', found 'id 1'"),
        ("colour = blue", "node.conf:1: unknown setting 'colour'"),
        ("config = other.conf", "node.conf:1: unknown setting 'config'"),
        ("id = 1\nid = 2", "node.conf:2: 'id' is set twice"),
    ])
    func badConfigFileLinesAreNamed(text: String, error: String) {
        #expect(throws: ConfigError(error)) {
            _ = try Self.parse(Self.valid + ["--config", "node.conf"], files: ["node.conf": text])
        }
    }

    @Test func anUnreadableConfigFileIsNamed() {
        do {
            _ = try Self.parse(Self.valid + ["--config", "missing.conf"])
            Issue.record("accepted")
        } catch {
            #expect(error.message.hasPrefix("--config: cannot read 'missing.conf'"))
        }
    }

    @Test(arguments: [("[::1]:30651", HostPort.Kind.ipv6, "::1"), ("10.0.0.7:1", .ipv4, "10.0.0.7"),
                      ("node3.cluster.local:30753", .name, "node3.cluster.local")])
    func addressesParse(text: String, kind: HostPort.Kind, host: String) throws {
        let address = try HostPort(parsing: text, flag: "--x")
        #expect(address.kind == kind)
        #expect(address.host == host)
        #expect(address.description == text)
    }
}

extension ConfigTests {
    @Test(arguments: [("30s", Duration.seconds(30)), ("1500ms", .milliseconds(1500)), ("2", .seconds(2))])
    func downAfterTakesSecondsOrMilliseconds(text: String, expected: Duration) throws {
        let config = try Self.parse(Self.valid + ["--down-after", text])
        #expect(config.membership.downAfter == expected)
    }
}

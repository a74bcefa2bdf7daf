import Testing
@testable import PachctlKit

struct AddressListTests {
    @Test(arguments: [
        ("127.0.0.1:30651", [NodeAddress(host: .ipv4("127.0.0.1"), port: 30651)]),
        ("localhost:30651", [NodeAddress(host: .name("localhost"), port: 30651)]),
        ("[::1]:30651", [NodeAddress(host: .ipv6("::1"), port: 30651)]),
        (
            "127.0.0.1:30651,127.0.0.1:30652, 127.0.0.1:30653 ",
            [
                NodeAddress(host: .ipv4("127.0.0.1"), port: 30651), NodeAddress(host: .ipv4("127.0.0.1"), port: 30652),
                NodeAddress(host: .ipv4("127.0.0.1"), port: 30653),
            ]
        ),
        // A repeated address is tried once.
        ("a:1,b:2,a:1", [NodeAddress(host: .name("a"), port: 1), NodeAddress(host: .name("b"), port: 2)]),
        // Not four parts of 0-255: a name, resolved by DNS.
        ("256.1.1.1:5", [NodeAddress(host: .name("256.1.1.1"), port: 5)]),
    ])
    func accepts(text: String, endpoints: [NodeAddress]) throws {
        #expect(try AddressList.parse(text) == endpoints)
    }

    @Test(arguments: [
        ("localhost", "'localhost' has no port: write HOST:PORT, e.g. 127.0.0.1:30651"),
        ("a:1,,b:2", "the address list 'a:1,,b:2' has an empty entry: write HOST:PORT[,HOST:PORT...]"),
        ("a:1,", "the address list 'a:1,' has an empty entry: write HOST:PORT[,HOST:PORT...]"),
        (":30651", "':30651' has no host: write HOST:PORT, e.g. 127.0.0.1:30651"),
        ("a:0", "'a:0' has port '0', not a number from 1 to 65535: write HOST:PORT, e.g. 127.0.0.1:30651"),
        ("a:70000", "'a:70000' has port '70000', not a number from 1 to 65535: write HOST:PORT, e.g. 127.0.0.1:30651"),
        ("a:http", "'a:http' has port 'http', not a number from 1 to 65535: write HOST:PORT, e.g. 127.0.0.1:30651"),
        ("::1:30651", "'::1:30651' looks like an IPv6 address: put it in brackets, e.g. [::1]:30651"),
        ("[::1:30651", "'[::1:30651' opens '[' without closing it: write HOST:PORT, e.g. 127.0.0.1:30651 or [::1]:30651"),
        ("ho st:1", "'ho st:1' has host 'ho st', which is neither an IP address nor a host name"),
    ])
    func rejects(text: String, message: String) {
        #expect(throws: PachctlError.usage(message)) { try AddressList.parse(text) }
    }

    @Test(arguments: ["", " ", ","])
    func emptyListAsksForAnAddress(text: String) {
        #expect(throws: PachctlError.self) { try AddressList.parse(text) }
    }

    @Test(arguments: [
        (NodeAddress(host: .ipv4("127.0.0.1"), port: 30651), "127.0.0.1:30651"),
        (NodeAddress(host: .ipv6("::1"), port: 30651), "[::1]:30651"),
        (NodeAddress(host: .name("localhost"), port: 1), "localhost:1"),
    ])
    func description(endpoint: NodeAddress, text: String) {
        #expect(endpoint.description == text)
    }
}

/// Flags win over variables; empty variables count as unset; the token is trimmed and never echoed.
struct ConnectionSettingsTests {
    let env = [
        "PACHD_ADDRESS": "127.0.0.1:30651,127.0.0.1:30652", "PACH_CA": ".cluster/tls/ca.crt", "PACH_TOKEN": "secret\n",
    ]

    @Test func environmentOnly() throws {
        let settings = try ConnectionSettings.resolve(address: nil, ca: nil, token: nil, timeout: nil, environment: env)
        #expect(settings.endpoints.map(\.description) == ["127.0.0.1:30651", "127.0.0.1:30652"])
        #expect(settings.caPath == ".cluster/tls/ca.crt")
        #expect(settings.token == "secret")
        #expect(settings.authorizationValue == "Bearer secret")
        #expect(settings.timeout == .seconds(10))
    }

    @Test func flagsWin() throws {
        let settings = try ConnectionSettings.resolve(
            address: "localhost:1", ca: "/ca.pem", token: "t", timeout: "2s", environment: env)
        #expect(settings.endpoints == [NodeAddress(host: .name("localhost"), port: 1)])
        #expect(settings.caPath == "/ca.pem")
        #expect(settings.token == "t")
        #expect(settings.timeout == .seconds(2))
    }

    @Test func missingAddressSaysWhatToSet() {
        #expect(
            throws: PachctlError.configuration(
                "no address given: set PACHD_ADDRESS or --address to HOST:PORT of any node (e.g. 127.0.0.1:30651; see .cluster/env)"
            )
        ) { try ConnectionSettings.resolve(address: nil, ca: "x", token: nil, timeout: nil, environment: ["PACHD_ADDRESS": ""]) }
    }

    @Test func missingCASaysWhatToSet() {
        #expect(
            throws: PachctlError.configuration(
                "no CA given: set PACH_CA or --ca to the cluster CA, .cluster/tls/ca.crt (see .cluster/env)")
        ) { try ConnectionSettings.resolve(address: "a:1", ca: nil, token: nil, timeout: nil, environment: [:]) }
    }

    @Test func noTokenIsAllowed() throws {
        let settings = try ConnectionSettings.resolve(address: "a:1", ca: "c", token: nil, timeout: nil, environment: [:])
        #expect(settings.token == nil)
        #expect(settings.authorizationValue == nil)
    }

    @Test func badTokenIsNotEchoed() {
        do {
            _ = try ConnectionSettings.resolve(address: "a:1", ca: "c", token: "sec ret", timeout: nil, environment: [:])
            Issue.record("expected an error")
        } catch {
            #expect(!error.message.contains("sec ret"))
        }
    }

    @Test(arguments: [
        ("10s", Duration.seconds(10)), ("500ms", .milliseconds(500)), ("2m", .seconds(120)), ("1.5s", .milliseconds(1500)),
        ("3", .seconds(3)), ("1h", .seconds(3600)),
    ])
    func timeouts(text: String, duration: Duration) throws {
        #expect(try DurationText.parse(text) == duration)
    }

    @Test(arguments: ["", "0s", "-1s", "ten", "10x", "48h", "nan"])
    func badTimeouts(text: String) {
        #expect(throws: PachctlError.self) { try DurationText.parse(text) }
    }

    @Test(arguments: [
        (Duration.seconds(10), "10s"), (.milliseconds(500), "500ms"), (.seconds(120), "2m"), (.milliseconds(1500), "1.5s"),
    ])
    func shortDurations(duration: Duration, text: String) {
        #expect(DurationText.short(duration) == text)
    }
}

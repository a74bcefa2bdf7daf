/// One node's client API address, `host:port`, as the user wrote it in `--address` or `PACHD_ADDRESS`.
public struct NodeAddress: Sendable, Hashable, CustomStringConvertible {
    /// How the host is spelled, which decides how the transport reaches it and how TLS checks the
    /// server's certificate: an IP address is matched against the certificate's IP SANs, a name
    /// against its DNS SANs.
    public enum Host: Sendable, Hashable {
        /// A dotted-quad IPv4 address.
        case ipv4(String)
        /// An IPv6 address, written in brackets on the command line (`[::1]:30651`); stored without them.
        case ipv6(String)
        /// A DNS name such as `localhost`.
        case name(String)
    }

    /// The host part.
    public var host: Host
    /// The TCP port.
    public var port: Int

    /// Creates an endpoint from its parts.
    public init(host: Host, port: Int) {
        self.host = host
        self.port = port
    }

    /// `host:port` (IPv6 in brackets), the way it is shown in messages.
    public var description: String {
        switch host {
        case .ipv4(let address), .name(let address): return "\(address):\(port)"
        case .ipv6(let address): return "[\(address)]:\(port)"
        }
    }
}

/// Parses the comma-separated address list that pachctl tries in order.
public enum AddressList {
    /// Parses `host:port[,host:port...]`. Spaces around entries are ignored and repeated entries are
    /// dropped (trying a dead node twice only delays the next one); an empty entry is an error because
    /// it usually means a variable expanded to nothing.
    public static func parse(_ text: String) throws(PachctlError) -> [NodeAddress] {
        let entries = text.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingSpaces() }
        if entries.allSatisfy(\.isEmpty) {
            throw .configuration(
                "no address given: set PACHD_ADDRESS or --address to HOST:PORT of any node (e.g. 127.0.0.1:30651; see .cluster/env)"
            )
        }
        var endpoints: [NodeAddress] = []
        for entry in entries {
            if entry.isEmpty {
                throw .usage("the address list '\(text)' has an empty entry: write HOST:PORT[,HOST:PORT...]")
            }
            let endpoint = try parseOne(entry)
            if !endpoints.contains(endpoint) {
                endpoints.append(endpoint)
            }
        }
        return endpoints
    }

    /// Parses one `host:port`. The port is required: no node listens on a well-known default port
    /// (node k serves on 30650+k), so guessing one would only turn a typo into a connection error.
    static func parseOne(_ entry: String) throws(PachctlError) -> NodeAddress {
        let hint = "write HOST:PORT, e.g. 127.0.0.1:30651"
        let hostText: Substring
        let portText: Substring
        if entry.hasPrefix("[") {
            guard let close = entry.firstIndex(of: "]") else {
                throw .usage("'\(entry)' opens '[' without closing it: \(hint) or [::1]:30651")
            }
            hostText = entry[entry.index(after: entry.startIndex)..<close]
            let rest = entry[entry.index(after: close)...]
            guard rest.hasPrefix(":") else {
                throw .usage("'\(entry)' has no port: \(hint)")
            }
            portText = rest.dropFirst()
        } else {
            guard let colon = entry.lastIndex(of: ":") else {
                throw .usage("'\(entry)' has no port: \(hint)")
            }
            hostText = entry[..<colon]
            portText = entry[entry.index(after: colon)...]
            if hostText.contains(":") {
                throw .usage("'\(entry)' looks like an IPv6 address: put it in brackets, e.g. [::1]:30651")
            }
        }
        guard let port = Int(portText), (1...65535).contains(port) else {
            throw .usage("'\(entry)' has port '\(portText)', not a number from 1 to 65535: \(hint)")
        }
        return NodeAddress(host: try classify(hostText, entry: entry), port: port)
    }

    /// Decides whether a host is an IPv4 address, an IPv6 address or a name.
    static func classify(_ host: Substring, entry: String) throws(PachctlError) -> NodeAddress.Host {
        if host.isEmpty {
            throw .usage("'\(entry)' has no host: write HOST:PORT, e.g. 127.0.0.1:30651")
        }
        if host.contains(":") {
            return .ipv6(String(host))
        }
        if isIPv4(host) {
            return .ipv4(String(host))
        }
        let allowed = host.utf8.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
        }
        if !allowed {
            throw .usage("'\(entry)' has host '\(host)', which is neither an IP address nor a host name")
        }
        return .name(String(host))
    }

    /// Four decimal parts of 0-255 each.
    static func isIPv4(_ host: Substring) -> Bool {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isASCIIDigit) && Int(part)! <= 255
        }
    }
}

extension Character {
    /// 0-9 only: `isNumber` would also accept other scripts' digits and fractions.
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs (Foundation-free).
    func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = lastIndex(where: { !isSpace($0) })!
        return String(self[first...last])
    }
}

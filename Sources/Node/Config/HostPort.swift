import Foundation

/// A `host:port` from the command line: an IPv4 literal, a bracketed IPv6 literal (`[::1]:30651`) or a
/// DNS name. Listening addresses must be IP literals (see `requireIP`); peer addresses may be names.
struct HostPort: Sendable, Hashable, CustomStringConvertible {
    /// What kind of host this is; decides how gRPC resolves or binds it.
    enum Kind: Sendable, Hashable {
        case ipv4
        case ipv6
        case name
    }

    /// The host without brackets.
    var host: String
    var port: Int
    var kind: Kind

    /// `host:port`, with brackets around an IPv6 host.
    var description: String {
        kind == .ipv6 ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Parses `text` for `flag` (named in the error).
    init(parsing text: String, flag: String) throws(ConfigError) {
        let bad = ConfigError("\(flag): '\(text)' is not an address (use host:port, e.g. 127.0.0.1:30651)")
        let hostPart: Substring
        let portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw bad
            }
            hostPart = text[text.index(after: text.startIndex)..<close]
            portPart = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw bad }
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
        }
        guard let port = Int(portPart), (1...65_535).contains(port) else {
            throw ConfigError("\(flag): '\(text)' has no valid port (use 1-65535)")
        }
        let host = String(hostPart)
        if text.hasPrefix("[") {
            guard Self.isIPv6(host) else { throw bad }
            kind = .ipv6
        } else if Self.isIPv4(host) {
            kind = .ipv4
        } else if Self.isDNSName(host) {
            kind = .name
        } else {
            throw bad
        }
        self.host = host
        self.port = port
    }

    /// An address built from parts, for tests and ephemeral ports.
    init(host: String, port: Int) {
        self.host = host
        self.port = port
        kind = Self.isIPv4(host) ? .ipv4 : (Self.isIPv6(host) ? .ipv6 : .name)
    }

    /// Throws unless the host is an IP literal: a server binds to an address, not a name.
    func requireIP(flag: String) throws(ConfigError) {
        guard kind != .name else {
            throw ConfigError("\(flag): '\(self)' must be an IP address to listen on (e.g. 127.0.0.1:\(port))")
        }
    }

    static func isIPv4(_ host: String) -> Bool {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isASCIIDigit) && Int(part)! <= 255
        }
    }

    /// A loose check (hex digits, colons, at most one `::`, optional embedded IPv4); the socket layer
    /// rejects whatever slips through, with its own error, at bind or connect.
    static func isIPv6(_ host: String) -> Bool {
        guard host.contains(":"), host.count <= 45 else { return false }
        return host.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
            && host.components(separatedBy: "::").count <= 2
    }

    static func isDNSName(_ host: String) -> Bool {
        guard !host.isEmpty, host.utf8.count <= 253 else { return false }
        return host.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" }
        } && !host.allSatisfy { $0.isASCIIDigit || $0 == "." }
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isWholeNumber }
}

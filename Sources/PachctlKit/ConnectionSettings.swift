/// Where and how pachctl connects, resolved from flags first and the environment second.
///
/// Resolution is pure (the environment comes in as a dictionary) so it is tested without touching the
/// process environment; the executable reads files (the CA) itself.
public struct ConnectionSettings: Sendable, Equatable {
    /// The nodes to try, in order.
    public var endpoints: [NodeAddress]
    /// Path of the cluster CA certificate (PEM).
    public var caPath: String
    /// The bearer token, or nil to send none.
    public var token: String?
    /// The deadline of each call.
    public var timeout: Duration

    /// The default deadline of a call.
    public static let defaultTimeout: Duration = .seconds(10)

    /// Creates settings from resolved values.
    public init(endpoints: [NodeAddress], caPath: String, token: String?, timeout: Duration) {
        self.endpoints = endpoints
        self.caPath = caPath
        self.token = token
        self.timeout = timeout
    }

    /// Resolves `--address`/`PACHD_ADDRESS`, `--ca`/`PACH_CA`, `--token`/`PACH_TOKEN` and `--timeout`.
    /// A flag wins over its variable; an empty variable counts as unset.
    public static func resolve(
        address: String?, ca: String?, token: String?, timeout: String?,
        environment: [String: String]
    ) throws(PachctlError) -> ConnectionSettings {
        func pick(_ flag: String?, _ variable: String) -> String? {
            if let flag { return flag }
            if let value = environment[variable], !value.trimmingSpaces().isEmpty { return value }
            return nil
        }
        guard let addressText = pick(address, "PACHD_ADDRESS") else {
            throw .configuration(
                "no address given: set PACHD_ADDRESS or --address to HOST:PORT of any node (e.g. 127.0.0.1:30651; see .cluster/env)"
            )
        }
        let endpoints = try AddressList.parse(addressText)
        guard let caPath = pick(ca, "PACH_CA")?.trimmingSpaces(), !caPath.isEmpty else {
            throw .configuration("no CA given: \(Hint.ca) (see .cluster/env)")
        }
        var tokenValue: String? = nil
        if let tokenText = pick(token, "PACH_TOKEN") {
            tokenValue = try checkToken(tokenText)
        }
        var deadline = defaultTimeout
        if let timeout {
            deadline = try DurationText.parse(timeout)
        }
        return ConnectionSettings(endpoints: endpoints, caPath: caPath, token: tokenValue, timeout: deadline)
    }

    /// Trims the token (it often comes from a file with a trailing newline) and rejects characters that
    /// cannot travel in an HTTP/2 header. The message never repeats the token: it is a secret.
    static func checkToken(_ text: String) throws(PachctlError) -> String? {
        let trimmed = text.trimmingSpaces()
        if trimmed.isEmpty { return nil }
        let printable = trimmed.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
        if !printable {
            throw .configuration(
                "the token contains spaces or non-ASCII characters: \(ErrorText.tokenHint) to the token exactly"
            )
        }
        return trimmed
    }

    /// The gRPC metadata value for the token.
    public var authorizationValue: String? {
        token.map { "Bearer \($0)" }
    }
}

/// Durations as users write them in `--timeout`: `10s`, `500ms`, `2m`, `1.5s`, or a bare number of seconds.
public enum DurationText {
    /// Parses a positive duration.
    public static func parse(_ text: String) throws(PachctlError) -> Duration {
        let trimmed = text.trimmingSpaces()
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        var number = Substring(trimmed)
        var scale = 1.0
        // "ms" before "s" and "m": the longest suffix that matches wins.
        for (suffix, factor) in units where trimmed.hasSuffix(suffix) {
            number = trimmed.dropLast(suffix.count)
            scale = factor
            break
        }
        guard let value = Double(number), value.isFinite, value > 0, value * scale <= 86_400 else {
            throw .usage("--timeout '\(text)' is not a duration: write e.g. 10s, 500ms or 2m (at most 24h)")
        }
        return .milliseconds(Int64((value * scale * 1000).rounded()))
    }

    /// A compact rendering for messages: "10s", "500ms", "1.5s", "2m".
    public static func short(_ duration: Duration) -> String {
        let ms = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        if ms < 1000 { return "\(ms)ms" }
        if ms % 60_000 == 0 { return "\(ms / 60_000)m" }
        if ms % 1000 == 0 { return "\(ms / 1000)s" }
        let tenths = (ms + 50) / 100
        return "\(tenths / 10).\(tenths % 10)s"
    }
}

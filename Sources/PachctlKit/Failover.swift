import GRPCCore

/// Runs a call against each address in turn until one answers.
///
/// Every node answers every call (writes are forwarded to the leader), so the first node that can be
/// reached is as good as any. A node that cannot be reached (connection refused, unavailable, deadline
/// exceeded) is skipped, so a user who kills the node pachctl talks to is not stranded; any other status
/// is the cluster's answer and is final.
///
/// When every address failed and at least one node *answered* `unavailable` (it is up but knows no
/// leader: an election is under way, which takes well under a second), the list is tried again after a
/// short pause, at most `pauses.count` more times. A cluster that is simply down is reported at once.
public struct Failover: Sendable {
    /// The addresses, tried in this order.
    public var endpoints: [NodeAddress]
    /// The deadline of each attempt, named in "timed out after …" causes.
    public var timeout: Duration
    /// Whether a token is sent, for the advice on `unauthenticated`.
    public var tokenSent: Bool
    /// The pauses before each further round over the list.
    public var pauses: [Duration]
    /// How to wait out a pause; injected so tests do not sleep.
    public var sleep: @Sendable (Duration) async -> Void

    /// Creates a failover runner.
    public init(
        endpoints: [NodeAddress], timeout: Duration, tokenSent: Bool,
        pauses: [Duration] = [.milliseconds(300), .milliseconds(700)],
        sleep: @escaping @Sendable (Duration) async -> Void = { try? await Task.sleep(for: $0) }
    ) {
        precondition(!endpoints.isEmpty, "Failover needs at least one endpoint")
        self.endpoints = endpoints
        self.timeout = timeout
        self.tokenSent = tokenSent
        self.pauses = pauses
        self.sleep = sleep
    }

    /// Whether a failure with this code means "try the next address".
    public static func movesOn(_ code: RPCError.Code) -> Bool {
        code == .unavailable || code == .deadlineExceeded
    }

    /// Calls `attempt` with each endpoint until one returns. `attempt` MUST be safe to repeat on
    /// another node after an unavailable or deadline failure; the server makes the writes that could
    /// otherwise repeat (StartCommit on a branch with an open head, CreateRepo) fail instead, and the
    /// error line then says that an earlier attempt timed out.
    public func run<T: Sendable>(
        _ attempt: (NodeAddress) async throws -> T
    ) async throws(PachctlError) -> T {
        var timedOut: [NodeAddress] = []
        var failures: [AttemptFailure] = []
        for round in 0...pauses.count {
            if round > 0 {
                guard failures.contains(where: \.nodeAnswered) else { break }
                await sleep(pauses[round - 1])
            }
            failures = []
            for endpoint in endpoints {
                do {
                    return try await attempt(endpoint)
                } catch {
                    let failure = try classify(error, at: endpoint, timedOut: timedOut)
                    failures.append(failure)
                    if failure.code == .deadlineExceeded { timedOut.append(endpoint) }
                }
            }
        }
        throw .unreachable(failures)
    }

    /// Returns the failure when it means "move on", and throws the final error otherwise.
    func classify(_ error: any Error, at endpoint: NodeAddress, timedOut: [NodeAddress]) throws(PachctlError)
        -> AttemptFailure
    {
        switch error {
        case let rpc as RPCError where Self.movesOn(rpc.code):
            // A status the server sent has no underlying cause; a transport failure always has one.
            let answered = rpc.code == .unavailable && rpc.cause == nil
            return AttemptFailure(
                endpoint: endpoint, code: rpc.code, cause: ErrorCause.summarize(rpc, timeout: timeout),
                nodeAnswered: answered)
        case let rpc as RPCError:
            throw .server(
                ServerFailure(
                    endpoint: endpoint, code: rpc.code, serverMessage: rpc.message, tokenSent: tokenSent,
                    timedOutEarlier: timedOut))
        case let local as PachctlError:
            throw local
        default:
            // Not a status from anywhere: a local setup problem (the TLS context, the resolver).
            throw .configuration("cannot call \(endpoint): \(ErrorCause.summarize(error, timeout: timeout))")
        }
    }
}

/// Reduces a transport error to the few words a user needs ("connection refused"), since the full
/// description of a NIO or BoringSSL error is long and spread over nested causes.
public enum ErrorCause {
    /// The short cause of `error`; falls back to the outermost message.
    public static func summarize(_ error: any Error, timeout: Duration) -> String {
        if let rpc = error as? RPCError, rpc.code == .deadlineExceeded {
            return "timed out after \(DurationText.short(timeout))"
        }
        let chain = describeChain(error)
        let lowered = chain.lowercased()
        for (needle, summary) in knownCauses where lowered.contains(needle) {
            return summary
        }
        if isTLS(lowered) {
            // The innermost cause names the TLS alert; the outer messages only say the connection closed.
            return "TLS handshake failed: \(innermost(error).prefix(200))"
        }
        if let rpc = error as? RPCError {
            return rpc.message.isEmpty ? "unavailable" : rpc.message
        }
        return chain
    }

    /// The cause of a certificate that is valid but names other hosts.
    static let wrongName = "TLS: the server's certificate does not name this address"

    /// Substrings of NIO/POSIX error texts and the words we show for them, most specific first.
    static let knownCauses: [(String, String)] = [
        ("connection refused", "connection refused"),
        ("certificate verify failed", "TLS: the server's certificate is not signed by the given CA"),
        ("certificate_verify_failed", "TLS: the server's certificate is not signed by the given CA"),
        ("failedtovalidatehostname", wrongName),
        ("unable to get local issuer", "TLS: the server's certificate is not signed by the given CA"),
        ("wrong version number", "TLS: the server did not answer with TLS"),
        ("connection reset", "connection reset"),
        ("no route to host", "no route to host"),
        ("network is unreachable", "network unreachable"),
        ("host is unreachable", "host unreachable"),
        ("connect timeout", "connect timed out"),
        ("connecttimeout", "connect timed out"),
        ("name resolution", "host name not found"),
        ("could not resolve", "host name not found"),
        ("resolve server name", "host name not found"),
    ]

    static func isTLS(_ lowered: String) -> Bool {
        lowered.contains("ssl") || lowered.contains("tls") || lowered.contains("certificate")
    }

    /// The description of the deepest cause of an error.
    static func innermost(_ error: any Error) -> String {
        var current: any Error = error
        var depth = 0
        while let rpc = current as? RPCError, let cause = rpc.cause, depth < 8 {
            current = cause
            depth += 1
        }
        if let rpc = current as? RPCError { return rpc.message }
        return String(describing: current)
    }

    /// The descriptions of an error and its nested `RPCError` causes, joined, so a match can find the
    /// root cause wherever gRPC wrapped it.
    static func describeChain(_ error: any Error) -> String {
        var parts: [String] = []
        var current: (any Error)? = error
        var depth = 0
        // Bounded: cause chains are short, but nothing guarantees that.
        while let next = current, depth < 8 {
            if let rpc = next as? RPCError {
                parts.append(rpc.message)
                current = rpc.cause
            } else {
                parts.append(String(describing: next))
                current = nil
            }
            depth += 1
        }
        return parts.filter { !$0.isEmpty }.joined(separator: ": ")
    }
}

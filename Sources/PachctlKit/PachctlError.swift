import GRPCCore

/// Every failure pachctl reports. Each case renders as ONE line (`message`) that says what went wrong
/// and what to do about it; the executable prints it to stderr and exits non-zero.
public enum PachctlError: Error, Sendable, Equatable {
    /// A malformed argument; the message names it and shows the expected shape.
    case usage(String)
    /// Missing or unreadable connection settings (address, CA, token).
    case configuration(String)
    /// Every address failed with a transport-level error (unavailable, deadline); one entry per address.
    case unreachable([AttemptFailure])
    /// A final answer from a server: a gRPC status other than unavailable/deadline.
    case server(ServerFailure)

    /// The one-line text printed to stderr.
    public var message: String {
        switch self {
        case .usage(let text), .configuration(let text):
            return ErrorText.oneLine(text)
        case .unreachable(let failures):
            return ErrorText.unreachable(failures)
        case .server(let failure):
            return ErrorText.server(failure)
        }
    }
}

/// Why one address could not serve a call, kept so the final message can name each address.
public struct AttemptFailure: Sendable, Equatable {
    /// The address tried.
    public var endpoint: NodeAddress
    /// The gRPC status code of the failure.
    public var code: RPCError.Code
    /// A short cause, e.g. "connection refused" or "timed out after 10s".
    public var cause: String
    /// Whether the node itself answered `unavailable` (reachable, but no leader yet), as opposed to a
    /// connection that failed; only then is another round over the addresses worth it.
    public var nodeAnswered: Bool

    /// Creates a failure record.
    public init(endpoint: NodeAddress, code: RPCError.Code, cause: String, nodeAnswered: Bool = false) {
        self.endpoint = endpoint
        self.code = code
        self.cause = cause
        self.nodeAnswered = nodeAnswered
    }
}

/// A final gRPC status from one server, with what the client knows about earlier attempts.
public struct ServerFailure: Sendable, Equatable {
    /// The address that answered.
    public var endpoint: NodeAddress
    /// The status code.
    public var code: RPCError.Code
    /// The server's message (already meant for users: pachd maps its errors once, in its `Wire/` layer).
    public var serverMessage: String
    /// Whether a token was sent; decides the advice for `unauthenticated`.
    public var tokenSent: Bool
    /// Addresses where an earlier attempt timed out: such an attempt may have been applied, which
    /// explains an `alreadyExists` or `failedPrecondition` on the retry.
    public var timedOutEarlier: [NodeAddress]

    /// Creates a failure record.
    public init(
        endpoint: NodeAddress, code: RPCError.Code, serverMessage: String, tokenSent: Bool,
        timedOutEarlier: [NodeAddress] = []
    ) {
        self.endpoint = endpoint
        self.code = code
        self.serverMessage = serverMessage
        self.tokenSent = tokenSent
        self.timedOutEarlier = timedOutEarlier
    }
}

/// The advice that error lines end with, shared with the executable's own checks.
public enum Hint {
    /// After "no node reachable".
    public static let cluster = "is the cluster up? scripts/cluster.sh status"
    /// After an authentication failure.
    public static let token = "set PACH_TOKEN or --token (see .cluster/env)"
    /// After a missing or wrong CA.
    public static let ca = "set PACH_CA or --ca to the cluster CA, .cluster/tls/ca.crt"
    /// After a certificate that does not name the address dialed.
    public static let certificateName =
        "use an address the node's certificate names, e.g. 127.0.0.1 or localhost for a local cluster"
}

/// The wording of every error line, kept together so the messages stay consistent.
enum ErrorText {
    static let clusterHint = Hint.cluster
    static let tokenHint = Hint.token
    static let caHint = Hint.ca

    /// "no node reachable at A,B: <causes> (<hint>)". Identical causes are said once.
    static func unreachable(_ failures: [AttemptFailure]) -> String {
        let addresses = failures.map(\.endpoint.description).joined(separator: ",")
        let causes = failures.map(\.cause)
        let causeText: String
        if let first = causes.first, causes.allSatisfy({ $0 == first }) {
            causeText = first
        } else {
            causeText = failures.map { "\($0.endpoint): \($0.cause)" }.joined(separator: "; ")
        }
        // Every node answered, but none could take the call now (no leader, too few replicas up): the
        // nodes are reachable, so say what they said rather than "no node reachable".
        if !failures.isEmpty, failures.allSatisfy(\.nodeAnswered) {
            return oneLine("unavailable: \(causeText) (answered by \(addresses); retry in a moment, "
                + "or check `pachctl cluster status`)")
        }
        // A certificate problem looks like an unreachable node to gRPC, but the fix is in the settings.
        let hint: String
        if causes.contains(where: { $0.hasPrefix(ErrorCause.wrongName) }) {
            hint = Hint.certificateName
        } else if causes.contains(where: { $0.hasPrefix("TLS") }) {
            hint = caHint
        } else {
            hint = clusterHint
        }
        return oneLine("no node reachable at \(addresses): \(causeText) (\(hint))")
    }

    /// The line for a final server status.
    static func server(_ failure: ServerFailure) -> String {
        let text = failure.serverMessage.isEmpty ? "(no message)" : failure.serverMessage
        switch failure.code {
        case .unauthenticated:
            if !failure.tokenSent {
                return oneLine("no token given: \(tokenHint)")
            }
            return oneLine("the cluster refused the token (\(text)): \(tokenHint)")
        case .permissionDenied:
            return oneLine("permission denied: \(text)")
        case .notFound, .alreadyExists, .failedPrecondition, .invalidArgument, .outOfRange, .aborted,
            .resourceExhausted:
            return oneLine(text + earlierTimeoutNote(failure))
        case .unimplemented:
            return oneLine(
                "\(failure.endpoint) does not implement this call (\(text)): is pachd older than pachctl? compare with 'pachctl version'"
            )
        default:
            return oneLine("server error at \(failure.endpoint) (\(codeName(failure.code))): \(text)")
        }
    }

    /// Explains a surprising answer after a timed-out attempt, which the server may still have applied.
    static func earlierTimeoutNote(_ failure: ServerFailure) -> String {
        guard !failure.timedOutEarlier.isEmpty,
            failure.code == .alreadyExists || failure.code == .failedPrecondition || failure.code == .notFound
        else { return "" }
        let addresses = failure.timedOutEarlier.map(\.description).joined(separator: ",")
        return " (an earlier attempt at \(addresses) timed out and may have been applied: check with list or inspect)"
    }

    /// snake_case names as in the gRPC spec, which users can search for.
    static func codeName(_ code: RPCError.Code) -> String {
        switch code {
        case .cancelled: return "cancelled"
        case .unknown: return "unknown"
        case .invalidArgument: return "invalid_argument"
        case .deadlineExceeded: return "deadline_exceeded"
        case .notFound: return "not_found"
        case .alreadyExists: return "already_exists"
        case .permissionDenied: return "permission_denied"
        case .resourceExhausted: return "resource_exhausted"
        case .failedPrecondition: return "failed_precondition"
        case .aborted: return "aborted"
        case .outOfRange: return "out_of_range"
        case .unimplemented: return "unimplemented"
        case .internalError: return "internal"
        case .unavailable: return "unavailable"
        case .dataLoss: return "data_loss"
        case .unauthenticated: return "unauthenticated"
        default: return "code \(code.rawValue)"
        }
    }

    /// Folds line breaks and tabs into spaces: an error is always exactly one line on stderr.
    static func oneLine(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        var lastWasSpace = false
        for character in text {
            let isBreak = character == "\n" || character == "\r" || character == "\r\n" || character == "\t"
            if isBreak {
                if !lastWasSpace { result.append(" ") }
                lastWasSpace = true
            } else {
                result.append(character)
                lastWasSpace = character == " "
            }
        }
        return result.trimmingSpaces()
    }
}

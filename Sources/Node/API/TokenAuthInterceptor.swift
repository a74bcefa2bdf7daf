import Crypto
import GRPCCore
import Logging
import PachAPI

/// Refuses every call that lacks `authorization: Bearer <token>` for the cluster's admin token, with
/// UNAUTHENTICATED, before any handler runs. Methods in `exemptMethods` (health probes) pass without one.
///
/// Only the token's SHA-256 is kept. The presented token is hashed and the two digests compared in
/// constant time, so neither the comparison's timing nor a memory dump reveals the token. Tokens are
/// never logged.
struct TokenAuthInterceptor: ServerInterceptor {
    /// What a refused caller reads: where a token comes from.
    static let refusal = "missing or invalid token: set PACH_TOKEN or --token (see .cluster/env)"

    /// Methods anyone may call: `admin.API/Health`, for load balancers and scripts that wait for a node.
    static let exemptMethods: Set<MethodDescriptor> = [Admin_API.Method.Health.descriptor]

    /// The digest a presented token must hash to.
    let expectedSHA256: [UInt8]
    /// Methods that need no token.
    let exempt: Set<MethodDescriptor>
    /// Refusals are logged at debug, with the method and peer only.
    let logger: Logger

    /// An interceptor accepting the token whose SHA-256 is `expectedSHA256`.
    init(expectedSHA256: [UInt8], exempt: Set<MethodDescriptor> = Self.exemptMethods,
         logger: Logger = Logger(label: "pachd.api.auth")) {
        self.expectedSHA256 = expectedSHA256
        self.exempt = exempt
        self.logger = logger
    }

    func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>,
        context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        guard exempt.contains(context.descriptor) || isAuthorized(request.metadata) else {
            logger.debug("refused a call without a valid token", metadata: [
                "api.method": "\(context.descriptor.fullyQualifiedMethod)", "api.peer": "\(context.remotePeer)",
            ])
            throw RPCError(code: .unauthenticated, message: Self.refusal)
        }
        return try await next(request, context)
    }

    /// True when the call carries exactly one `authorization` value, `Bearer <token>`, whose token
    /// hashes to `expectedSHA256`.
    func isAuthorized(_ metadata: Metadata) -> Bool {
        let values = Array(metadata[stringValues: "authorization"])
        guard values.count == 1, let token = Self.bearerToken(values[0]) else { return false }
        return Self.constantTimeEqual(Array(SHA256.hash(data: Array(token.utf8))), expectedSHA256)
    }

    /// The token of `Bearer <token>` (the scheme is case-insensitive, RFC 6750), or nil. Whitespace
    /// around the token is dropped, as it is from the token file before hashing (`AdminTokenHash`).
    static func bearerToken(_ value: String) -> Substring? {
        let scheme = "bearer "
        guard value.utf8.count > scheme.utf8.count,
              value.prefix(scheme.count).lowercased() == scheme
        else { return nil }
        let token = value.dropFirst(scheme.count).drop(while: \.isWhitespace)
        let trimmed = token.prefix(token.count - token.reversed().prefix(while: \.isWhitespace).count)
        return trimmed.isEmpty ? nil : trimmed
    }

    /// Compares every byte whatever the first difference, so the time taken does not tell an attacker
    /// how many leading bytes matched. Digests have a fixed length, so an unequal length (a missing or
    /// corrupt stored digest) is refused outright.
    static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count, !lhs.isEmpty else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }
}

import GRPCCore

/// Adds `authorization: Bearer <token>` to every call, so no command can forget it.
public struct BearerTokenInterceptor: ClientInterceptor {
    /// The header value, "Bearer <token>".
    let value: String

    /// Creates the interceptor for a token (without the "Bearer " prefix).
    public init(token: String) {
        self.value = "Bearer \(token)"
    }

    /// Adds the header, replacing any earlier one, then continues the call.
    public func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingClientRequest<Input>,
        context: ClientContext,
        next: (StreamingClientRequest<Input>, ClientContext) async throws -> StreamingClientResponse<Output>
    ) async throws -> StreamingClientResponse<Output> {
        var request = request
        request.metadata = Self.adding(value, to: request.metadata)
        return try await next(request, context)
    }

    /// The metadata with its authorization entries replaced by `value`.
    static func adding(_ value: String, to metadata: Metadata) -> Metadata {
        var metadata = metadata
        metadata.removeAllValues(forKey: "authorization")
        metadata.addString(value, forKey: "authorization")
        return metadata
    }
}

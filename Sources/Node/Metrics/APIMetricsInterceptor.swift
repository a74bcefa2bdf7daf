import GRPCCore

/// Counts every public API call by method and final gRPC status (`pachd_api_requests_total`).
///
/// Registered first, so it also counts calls the token check refuses. A streaming answer's status is
/// known only when its producer ends, so the producer is wrapped rather than counting at `next`'s return.
struct APIMetricsInterceptor: ServerInterceptor {
    let metrics: NodeMetrics

    func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>,
        context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        let method = context.descriptor.fullyQualifiedMethod
        let metrics = self.metrics
        let response: StreamingServerResponse<Output>
        do { response = try await next(request, context) } catch {
            metrics.apiRequest(method: method, code: Self.codeName(of: error))
            throw error
        }
        switch response.accepted {
        case .failure(let error):
            metrics.apiRequest(method: method, code: Self.codeName(error.code))
            return response
        case .success(var contents):
            let producer = contents.producer
            contents.producer = { writer in
                do {
                    let trailers = try await producer(writer)
                    metrics.apiRequest(method: method, code: "OK")
                    return trailers
                } catch {
                    metrics.apiRequest(method: method, code: Self.codeName(of: error))
                    throw error
                }
            }
            return StreamingServerResponse(accepted: .success(contents))
        }
    }

    /// The code a client receives for `error`: its own for an `RPCError` (or a convertible one), else
    /// UNKNOWN, as grpc-swift maps it.
    static func codeName(of error: any Error) -> String {
        if let rpc = error as? RPCError { return codeName(rpc.code) }
        if let convertible = error as? any RPCErrorConvertible { return codeName(convertible.rpcErrorCode) }
        return "UNKNOWN"
    }

    /// The canonical upper-case name of a status code (grpc/doc/statuscodes.md), e.g. `DEADLINE_EXCEEDED`.
    static func codeName(_ code: RPCError.Code) -> String {
        let names = [
            "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
            "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
            "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
        ]
        return names.indices.contains(code.rawValue) ? names[code.rawValue] : "UNKNOWN"
    }
}

/// What the metrics endpoint answers to one request, decided without sockets: `GET /metrics` gets the
/// exposition, another path 404, another method on `/metrics` 405.
///
/// The query string is ignored (Prometheus may add one). `MetricsServer` writes the answer and closes
/// the connection.
struct MetricsEndpoint: Sendable {
    /// The one path served.
    static let path = "/metrics"

    /// One answer.
    struct Response: Sendable, Equatable {
        /// The HTTP status code.
        var status: Int
        /// The `Content-Type` header.
        var contentType: String
        /// The exposition (200) or one line saying what went wrong.
        var body: [UInt8]
        /// The `Allow` header of a 405.
        var allow: String?
    }

    /// Renders the exposition; called once per `GET /metrics`.
    let exposition: @Sendable () -> [UInt8]

    /// The answer to `method` (as sent, e.g. `GET`) on `uri` (path and optional query).
    func respond(method: String, uri: String) -> Response {
        let path = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first
            .map(String.init) ?? uri
        guard path == Self.path else {
            return Self.text(404, "not found: this endpoint serves only GET \(Self.path)\n")
        }
        guard method == "GET" else {
            var response = Self.text(405, "method \(method) not allowed: use GET\n")
            response.allow = "GET"
            return response
        }
        return Response(status: 200, contentType: NodeMetrics.contentType, body: exposition())
    }

    private static func text(_ status: Int, _ message: String) -> Response {
        Response(status: status, contentType: "text/plain; charset=utf-8", body: Array(message.utf8))
    }
}

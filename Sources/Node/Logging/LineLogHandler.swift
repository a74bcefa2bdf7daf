#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Logging

/// A swift-log handler that writes one line per record to a `LogSink`:
///
///     2026-11-25T15:15:00.123Z info pachd: peer unreachable peer.node=2 peer.error="unavailable: ..."
///
/// UTC timestamps with milliseconds, the level, the logger's label, the message, then metadata sorted
/// by key (values quoted when they contain spaces). Any metadata key that mentions a token is written
/// as `<redacted>`: tokens must never reach a log, even by a careless call site.
struct LineLogHandler: LogHandler {
    let label: String
    let sink: LogSink
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    init(label: String, sink: LogSink, level: Logger.Level) {
        self.label = label
        self.sink = sink
        logLevel = level
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        if let error = event.error { merged["error"] = "\(error)" }
        sink.write(Self.format(timestamp: Self.timestamp(), level: event.level, label: label,
                               message: "\(event.message)", metadata: merged))
    }

    /// One line; pure, for tests.
    static func format(timestamp: String, level: Logger.Level, label: String, message: String,
                       metadata: Logger.Metadata) -> String {
        var line = "\(timestamp) \(level) \(label): \(message)"
        for key in metadata.keys.sorted() {
            let value = key.lowercased().contains("token") ? "<redacted>" : "\(metadata[key]!)"
            line += " \(key)=\(quoted(value))"
        }
        return line
    }

    private static func quoted(_ value: String) -> String {
        guard value.isEmpty || value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0.isNewline }) else {
            return value
        }
        let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
        return "\"\(escaped)\""
    }

    /// Now, as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))."
            + "\(pad(Int32(now.tv_nsec / 1_000_000), 3))Z"
    }
}

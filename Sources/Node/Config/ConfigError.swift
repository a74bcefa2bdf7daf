/// A configuration mistake, as one line that names the flag (or config-file line) and what to do.
///
/// pachd prints it and exits with status 2 before touching the data dir, so an operator sees the first
/// mistake at once instead of a half-started node.
struct ConfigError: Error, Equatable, CustomStringConvertible {
    /// The whole line, e.g. "--id: '0' is not a node id (use an integer from 1)".
    let message: String

    init(_ message: String) {
        self.message = message
    }

    var description: String { message }
}

import Crypto
import Foundation

/// The admin token, kept only as its SHA-256 so that a memory dump or a log line can never show it.
struct AdminTokenHash: Sendable, Equatable {
    /// The 32-byte digest.
    let digest: [UInt8]

    /// The hash of `token` (surrounding whitespace, such as the file's newline, removed).
    init(token: String) {
        digest = Array(SHA256.hash(data: Array(token.trimmingCharacters(in: .whitespacesAndNewlines).utf8)))
    }

    /// Reads the token from `path`. Throws a `ConfigError` when it cannot be read or is empty.
    static func load(from path: String) throws(ConfigError) -> AdminTokenHash {
        guard let text = try DurableFiles.readText(path) else {
            throw ConfigError("--admin-token-file: '\(path)' does not exist")
        }
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ConfigError("--admin-token-file: '\(path)' is empty")
        }
        return AdminTokenHash(token: text)
    }

    /// Whether `presented` is the admin token. Compares digests in constant time (every byte, always),
    /// so the time taken reveals nothing about how much of a guess was right.
    func matches(_ presented: String) -> Bool {
        let other = AdminTokenHash(token: presented).digest
        var difference: UInt8 = 0
        for (a, b) in zip(digest, other) { difference |= a ^ b }
        return difference == 0 && digest.count == other.count
    }
}

/// The name of a repo: 1–63 ASCII letters, digits, `_` or `-` (Pachyderm's rules). A value of this type
/// is always valid, so code past the API edge never re-checks it.
public struct RepoName: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The validated text.
    public let text: String

    /// Validates `text`; throws `PFSError.invalidName` saying what to change.
    public init(_ text: String) throws(PFSError) {
        if let why = NameRules.problem(with: text) {
            throw .invalidName(kind: "repo", name: text, why: why)
        }
        self.text = text
    }

    public var description: String { text }

    public static func < (lhs: RepoName, rhs: RepoName) -> Bool {
        // Byte order, not locale order: every node must sort alike.
        lhs.text.utf8.lexicographicallyPrecedes(rhs.text.utf8)
    }
}

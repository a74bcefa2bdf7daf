/// The name of a branch: 1–63 ASCII letters, digits, `_` or `-`, and not 32 hexadecimal digits.
///
/// Why these rules: `/` would split a FUSE path segment and `.` would allow `.` and `..` (and clash with
/// Pachyderm 2's `branch.N` forward-ancestry syntax); `^` and `~` are ref syntax. A name of 32 hex digits
/// is refused because `repo@<32 hex>` must mean a commit, never a branch, so a ref is never ambiguous.
public struct BranchName: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The validated text.
    public let text: String

    /// The branch a repo's first write goes to when the caller names none.
    public static let master = try! BranchName("master")

    /// Validates `text`; throws `PFSError.invalidName` saying what to change.
    public init(_ text: String) throws(PFSError) {
        if let why = NameRules.problem(with: text) {
            throw .invalidName(kind: "branch", name: text, why: why)
        }
        if NameRules.looksLikeCommitID(text) {
            throw .invalidName(kind: "branch", name: text,
                               why: "32 hexadecimal digits would read as a commit id; choose another name")
        }
        self.text = text
    }

    public var description: String { text }

    public static func < (lhs: BranchName, rhs: BranchName) -> Bool {
        lhs.text.utf8.lexicographicallyPrecedes(rhs.text.utf8)
    }
}

/// A branch of a repo: the key of a branch cluster-wide, written `repo@branch`.
public struct BranchKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The repo the branch belongs to.
    public var repo: RepoName
    /// The branch's name inside the repo.
    public var branch: BranchName

    /// The branch `branch` of `repo`.
    public init(_ repo: RepoName, _ branch: BranchName) {
        self.repo = repo
        self.branch = branch
    }

    public var description: String { "\(repo)@\(branch)" }

    public static func < (lhs: BranchKey, rhs: BranchKey) -> Bool {
        lhs.repo != rhs.repo ? lhs.repo < rhs.repo : lhs.branch < rhs.branch
    }
}

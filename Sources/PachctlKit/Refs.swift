/// A commit named on the command line as `REPO@REF`: the repo, and a ref the server resolves (a branch,
/// a commit id, either followed by ancestry operators such as `^`, `^2` or `~3`).
///
/// The client checks only what is obviously wrong (an empty side of the `@`, characters no name or ref
/// can hold) so the user gets a message that names the argument; the server validates fully.
public struct CommitRef: Sendable, Equatable, CustomStringConvertible {
    /// The repo name, before the first `@`.
    public var repo: String
    /// Everything after the first `@`, passed to the server unchanged.
    public var ref: String

    /// Creates a ref from its parts without checking them.
    public init(repo: String, ref: String) {
        self.repo = repo
        self.ref = ref
    }

    /// `repo@ref`, as the user wrote it.
    public var description: String { "\(repo)@\(ref)" }

    /// Parses `REPO@REF`. The `@REF` part is required.
    public static func parse(_ text: String) throws(PachctlError) -> CommitRef {
        let parts = try RefSyntax.split(text, example: "REPO@BRANCH or REPO@COMMIT")
        guard let ref = parts.ref else {
            throw .usage("'\(text)' names no commit: write REPO@BRANCH or REPO@COMMIT (e.g. images@master)")
        }
        return CommitRef(repo: parts.repo, ref: ref)
    }
}

extension CommitRef {
    /// Parses the value of `--parent` or `--head`: a ref in `repo` ("master^", an id) or the same
    /// written in full ("images@master^"). A ref in another repo is an error: a parent or head is
    /// always in the repo of the commit or branch being made.
    public static func parse(_ text: String, inRepo repo: String, option: String) throws(PachctlError) -> String {
        if text.contains("@") {
            let full = try parse(text)
            if full.repo != repo {
                throw .usage("\(option) '\(text)' is in repo '\(full.repo)', not '\(repo)': write a ref in '\(repo)', e.g. master^")
            }
            return full.ref
        }
        if text.isEmpty {
            throw .usage("\(option) is empty: give a branch or commit of '\(repo)', e.g. master^")
        }
        return try parse("\(repo)@\(text)").ref
    }
}

/// Repo names as arguments (`create repo NAME`).
public enum RepoName {
    /// Returns the name if it is not obviously malformed; the server checks the full rules.
    public static func check(_ text: String) throws(PachctlError) -> String {
        try RefSyntax.checkRepo(text, in: text)
    }
}

/// A branch named on the command line as `REPO@BRANCH`: no ancestry operators, since a branch is a name,
/// not a position in a history.
public struct BranchRef: Sendable, Equatable, CustomStringConvertible {
    /// The repo name.
    public var repo: String
    /// The branch name.
    public var branch: String

    /// Creates a branch ref from its parts without checking them.
    public init(repo: String, branch: String) {
        self.repo = repo
        self.branch = branch
    }

    /// `repo@branch`.
    public var description: String { "\(repo)@\(branch)" }

    /// Parses `REPO@BRANCH`, rejecting `^` and `~`: those select an ancestor commit, never a branch.
    public static func parse(_ text: String) throws(PachctlError) -> BranchRef {
        let parts = try RefSyntax.split(text, example: "REPO@BRANCH")
        guard let branch = parts.ref else {
            throw .usage("'\(text)' names no branch: write REPO@BRANCH (e.g. images@master)")
        }
        if branch.contains(where: { $0 == "^" || $0 == "~" }) {
            throw .usage("'\(text)' is a commit, not a branch: drop the '^'/'~' part (write REPO@BRANCH)")
        }
        return BranchRef(repo: parts.repo, branch: branch)
    }
}

/// A repo with an optional branch, `REPO` or `REPO@BRANCH`, as `list commit` takes it.
public struct RepoAndBranch: Sendable, Equatable {
    /// The repo name.
    public var repo: String
    /// The branch, or nil for every commit of the repo.
    public var branch: String?

    /// Creates a value from its parts without checking them.
    public init(repo: String, branch: String?) {
        self.repo = repo
        self.branch = branch
    }

    /// Parses `REPO` or `REPO@BRANCH`.
    public static func parse(_ text: String) throws(PachctlError) -> RepoAndBranch {
        if !text.contains("@") {
            return RepoAndBranch(repo: try RefSyntax.checkRepo(text, in: text), branch: nil)
        }
        let branch = try BranchRef.parse(text)
        return RepoAndBranch(repo: branch.repo, branch: branch.branch)
    }
}

/// The one place that knows how a ref is spelled, so every command rejects the same mistakes the same way.
enum RefSyntax {
    /// The `@`-split of a ref argument; `ref` is nil when there was no `@` at all.
    struct Parts {
        var repo: String
        var ref: String?
    }

    /// Splits on the first `@` and checks both sides for what can never be valid.
    static func split(_ text: String, example: String) throws(PachctlError) -> Parts {
        guard let at = text.firstIndex(of: "@") else {
            return Parts(repo: try checkRepo(text, in: text), ref: nil)
        }
        let repo = String(text[..<at])
        let ref = String(text[text.index(after: at)...])
        if repo.isEmpty {
            throw .usage("'\(text)' has no repo before '@': write \(example)")
        }
        if ref.isEmpty {
            throw .usage("'\(text)' has nothing after '@': write \(example)")
        }
        _ = try checkRepo(repo, in: text)
        if ref.contains("@") {
            throw .usage("'\(text)' has more than one '@': write \(example)")
        }
        if ref.contains(":") {
            // `repo@branch:/path` is file syntax; no command here takes a path, so a ':' is a typo.
            throw .usage("'\(text)' contains ':', which no branch or commit can: write \(example)")
        }
        if let bad = ref.unicodeScalars.first(where: isForbidden) {
            throw .usage("'\(text)' contains \(describe(bad)), which no branch or commit can: write \(example)")
        }
        return Parts(repo: repo, ref: ref)
    }

    /// Checks a bare repo name for emptiness and characters no name may hold; the server checks the rest.
    static func checkRepo(_ repo: String, in text: String) throws(PachctlError) -> String {
        if repo.isEmpty {
            throw .usage("the repo name is empty: write a name such as 'images'")
        }
        if let bad = repo.unicodeScalars.first(where: { isForbidden($0) || $0 == ":" || $0 == "@" }) {
            throw .usage("'\(text)' contains \(describe(bad)) in the repo name: repo names are letters, digits, '_' and '-'")
        }
        return repo
    }

    /// Whitespace, control characters and path separators never belong in a name or a ref.
    static func isForbidden(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace || scalar.value < 0x20 || scalar.value == 0x7F || scalar == "/"
    }

    /// Names a character so that an invisible one (a space, a tab) is still visible in the message.
    static func describe(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case " ": return "a space"
        case "\t": return "a tab"
        case "\n", "\r": return "a line break"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                return "a control character"
            }
            return "'\(scalar)'"
        }
    }
}

/// Commit ids are 32 lowercase hex characters (pfs.proto); `delete commit` takes nothing else.
public enum CommitID {
    /// Whether `text` has the shape of a commit id.
    public static func isValid(_ text: String) -> Bool {
        text.utf8.count == 32 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}

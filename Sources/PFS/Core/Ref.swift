/// A reference to one commit, as users write it: `REPO@BRANCH` (the branch's head), `REPO@ID`, and either
/// followed by ancestry: `^` (the parent), `^^` (the grandparent), `^N` or `~N` (N generations back).
///
/// A commit has at most one parent here, so git's distinction between `^N` and `~N` disappears and both
/// mean "N generations back" (as in Pachyderm). Suffixes add up: `master^^~3` is five back. A ref is
/// resolved against the state when it is *applied*, never by the proposer, so `repo@master` means the
/// head at that point of the log.
public struct Ref: Sendable, Hashable, CustomStringConvertible {
    /// What the ref starts from before walking back.
    public enum Target: Sendable, Hashable {
        /// The head of this branch of the ref's repo.
        case branch(BranchName)
        /// This commit, which must belong to the ref's repo.
        case commit(CommitID)
    }

    /// The repo the commit belongs to.
    public var repo: RepoName
    /// Where resolution starts.
    public var target: Target
    /// How many parent links to follow from the target.
    public var ancestry: UInt32

    /// A ref to `target` in `repo`, `ancestry` generations back.
    public init(repo: RepoName, target: Target, ancestry: UInt32 = 0) {
        self.repo = repo
        self.target = target
        self.ancestry = ancestry
    }

    /// The head of `branch`.
    public static func branch(_ key: BranchKey, ancestry: UInt32 = 0) -> Ref {
        Ref(repo: key.repo, target: .branch(key.branch), ancestry: ancestry)
    }

    /// The commit `id` of `repo`.
    public static func commit(_ id: CommitID, in repo: RepoName, ancestry: UInt32 = 0) -> Ref {
        Ref(repo: repo, target: .commit(id), ancestry: ancestry)
    }

    /// The canonical text: `repo@target` plus `^N` when `ancestry > 0`. Parsing it gives this ref back.
    public var description: String {
        let start: String
        switch target {
        case .branch(let name): start = name.text
        case .commit(let id): start = id.description
        }
        return "\(repo)@\(start)" + (ancestry > 0 ? "^\(ancestry)" : "")
    }

    /// Parses `text`; throws `PFSError.invalidRef` saying what is wrong.
    public init(parsing text: String) throws(PFSError) {
        func fail(_ why: String) -> PFSError { .invalidRef(text: text, why: why) }
        if text.isEmpty { throw fail("it is empty; write REPO@BRANCH or REPO@COMMIT") }
        if text.contains(":") {
            throw fail("':' is not part of a ref; give a file path as a separate argument")
        }
        let halves = text.split(separator: "@", omittingEmptySubsequences: false)
        guard halves.count == 2 else {
            throw fail(halves.count < 2 ? "'@' is missing; write REPO@BRANCH or REPO@COMMIT"
                                        : "it has more than one '@'")
        }
        let repoText = String(halves[0])
        if repoText.isEmpty { throw fail("the repo name before '@' is missing") }
        if let why = NameRules.problem(with: repoText) { throw fail("repo name '\(repoText)' is invalid: \(why)") }
        let rest = halves[1]
        let suffixStart = rest.firstIndex { $0 == "^" || $0 == "~" } ?? rest.endIndex
        let targetText = String(rest[..<suffixStart])
        if targetText.isEmpty { throw fail("the branch or commit after '@' is missing") }
        guard let ancestry = Self.parseAncestry(rest[suffixStart...]) else {
            throw fail("the ancestry suffix must be '^', '^N' or '~N' (N a number below 2^32), repeated as needed")
        }
        self.init(repo: try! RepoName(repoText), target: try Self.parseTarget(targetText, in: text),
                  ancestry: ancestry)
    }

    /// A commit id when `text` is one, otherwise a branch name (names of 32 hex digits are refused, so
    /// the two never overlap).
    private static func parseTarget(_ text: String, in whole: String) throws(PFSError) -> Target {
        if let id = CommitID(parsing: text) { return .commit(id) }
        do {
            return .branch(try BranchName(text))
        } catch {
            let why: String
            if case .invalidName(_, _, let reason) = error { why = reason } else { why = "\(error)" }
            throw .invalidRef(text: whole, why: "branch or commit '\(text)' is invalid: \(why)")
        }
    }

    /// The generations `suffix` walks back (`^`, `^N`, `~N`, repeated), or nil when it is malformed or
    /// the sum does not fit in 32 bits.
    private static func parseAncestry(_ suffix: Substring) -> UInt32? {
        var total: UInt32 = 0
        var rest = suffix[...]
        while let marker = rest.first {
            guard marker == "^" || marker == "~" else { return nil }
            rest = rest.dropFirst()
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            rest = rest.dropFirst(digits.count)
            let step: UInt32
            if digits.isEmpty {
                step = 1
            } else {
                guard digits.count <= 10, let value = UInt32(digits) else { return nil }
                step = value
            }
            let (sum, overflow) = total.addingReportingOverflow(step)
            if overflow { return nil }
            total = sum
        }
        return total
    }
}

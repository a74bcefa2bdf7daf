/// A file named on the command line as `REPO@REF:/PATH` (Pachyderm's syntax): a commit ref, then an
/// optional path inside it after the first `:` (refs never hold one; paths may).
public struct FileRef: Sendable, Equatable, CustomStringConvertible {
    /// The repo name.
    public var repo: String
    /// A branch, a commit id, either with ancestry (`master^2`), passed to the server as written.
    public var ref: String
    /// The path, or nil when none was written (the command chooses: `/`, or a name from the source).
    public var path: String?

    /// Creates a file ref from its parts without checking them.
    public init(repo: String, ref: String, path: String?) {
        self.repo = repo
        self.ref = ref
        self.path = path
    }

    public var description: String { "\(repo)@\(ref)" + (path.map { ":" + $0 } ?? "") }

    /// The path, or `/` when none was given.
    public var pathOrRoot: String { path ?? "/" }

    /// Parses `REPO@REF[:PATH]`. A path that does not start with `/` gets one (as the server would).
    public static func parse(_ text: String) throws(PachctlError) -> FileRef {
        let refText: String
        var path: String?
        if let colon = text.firstIndex(of: ":") {
            refText = String(text[..<colon])
            let rest = String(text[text.index(after: colon)...])
            guard !rest.isEmpty else {
                throw .usage("'\(text)' has nothing after ':': write REPO@REF:/PATH, or drop the ':'")
            }
            path = rest.hasPrefix("/") ? rest : "/" + rest
        } else {
            refText = text
        }
        guard refText.contains("@") else {
            throw .usage("'\(text)' names no commit: write REPO@BRANCH:/PATH (e.g. images@master:/cats/1.png)")
        }
        let commit = try CommitRef.parse(refText)
        return FileRef(repo: commit.repo, ref: commit.ref, path: path)
    }

    /// Parses a write target: the ref must be a branch or a commit id, with no ancestry.
    public static func parseTarget(_ text: String) throws(PachctlError) -> FileRef {
        let file = try parse(text)
        if file.ref.contains(where: { $0 == "^" || $0 == "~" }) {
            throw .usage("'\(text)': files are written to a branch or an open commit, not to an ancestor (drop the '^'/'~' part)")
        }
        return file
    }
}

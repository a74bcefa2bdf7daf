import PFS
import PachAPI

/// Validation of request fields into PFS values, before anything is proposed. Every failure is a
/// `PFSError` from PFS's own parsers (so the message is theirs), which the handlers map to
/// INVALID_ARGUMENT.
enum PfsArguments {
    /// A repo name.
    static func repo(_ text: String) throws(PFSError) -> RepoName {
        try RepoName(text)
    }

    /// A branch of `repo`.
    static func branch(_ repo: RepoName, _ text: String) throws(PFSError) -> BranchKey {
        BranchKey(repo, try BranchName(text))
    }

    /// A ref inside `repo`, as the request gives it: a branch or commit id with optional ancestry
    /// (`master^2`). A full `repo@…` is accepted too when it names the same repo, since that is how
    /// users write refs on the command line.
    static func ref(in repo: RepoName, _ text: String) throws(PFSError) -> Ref {
        if text.isEmpty {
            throw .invalidRef(text: text, why: "it is empty; give a branch name or a commit id")
        }
        guard text.contains("@") else { return try Ref(parsing: "\(repo.text)@\(text)") }
        let ref = try Ref(parsing: text)
        guard ref.repo == repo else {
            throw .invalidRef(text: text, why: "it names repo \(ref.repo), but the request is for repo \(repo)")
        }
        return ref
    }

    /// A ref, or nil for the empty string ("not set").
    static func optionalRef(in repo: RepoName, _ text: String) throws(PFSError) -> Ref? {
        try text.isEmpty ? nil : ref(in: repo, text)
    }

    /// A commit id (32 lowercase hex digits).
    static func commitID(_ text: String) throws(PFSError) -> CommitID {
        try CommitID(text)
    }

    /// Provenance branches, each `repo@branch`; bounded so one call cannot bloat every node's state.
    static func provenance(_ branches: [Pfs_Branch]) throws(PFSError) -> [BranchKey] {
        guard branches.count <= MetadataLimits.provenanceCountMax else {
            throw .invalidArgument("\(branches.count) provenance branches; the limit is "
                                   + "\(MetadataLimits.provenanceCountMax)")
        }
        var keys: [BranchKey] = []
        keys.reserveCapacity(branches.count)
        for branch in branches { keys.append(try self.branch(try repo(branch.repo), branch.name)) }
        return keys
    }

    /// Free text, checked against the state machine's limit here so an oversized one is never proposed.
    static func description(_ text: String) throws(PFSError) -> String {
        let count = text.utf8.count
        guard count <= MetadataLimits.descriptionBytesMax else {
            throw .invalidArgument("the description is \(count) bytes; the limit is "
                                   + "\(MetadataLimits.descriptionBytesMax)")
        }
        return text
    }

    /// A proposer timestamp; a clock before 1970 reads as 0 rather than trapping.
    static func nanos(_ now: Int64) -> UInt64 {
        UInt64(max(0, now))
    }

    /// A list limit: 0 means all, and a value beyond `Int` means all as well.
    static func limit(_ value: UInt64) -> Int {
        Int(clamping: value)
    }
}

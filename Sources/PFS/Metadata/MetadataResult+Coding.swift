/// The format of answers: a version byte (3; 1 and 2 are read too), a tag byte, then the payload. Like commands, any layout
/// change MUST bump the version.
extension MetadataResult {
    /// The version this code writes and the only one it reads.
    public static let formatVersion: UInt8 = 3
    /// Version 1 had no member answers; versions before 3 had no commit description or staged counts.
    static let readableVersions: ClosedRange<UInt8> = 1...3

    private enum Tag: UInt8 {
        case done = 0, repo, branch, commit, failed, member
    }

    /// The bytes `apply` returns to the proposer; identical on every node for the same entry.
    public var encoded: [UInt8] {
        var writer = BinaryWriter()
        writer.write(Self.formatVersion)
        switch self {
        case .done:
            writer.write(Tag.done.rawValue)
        case .repo(let info):
            writer.write(Tag.repo.rawValue)
            writer.write(info)
        case .branch(let info):
            writer.write(Tag.branch.rawValue)
            writer.write(info)
        case .commit(let info):
            writer.write(Tag.commit.rawValue)
            writer.write(info)
        case .failed(let error):
            writer.write(Tag.failed.rawValue)
            writer.write(error)
        case .member(let info):
            writer.write(Tag.member.rawValue)
            writer.write(info)
        }
        return writer.bytes
    }

    /// Decodes `encoded`; throws `unsupportedVersion` or `malformed`.
    public init(decoding bytes: [UInt8]) throws(PFSError) {
        var reader = BinaryReader(bytes)
        let version = try reader.readUInt8()
        guard Self.readableVersions.contains(version) else {
            throw .unsupportedVersion(what: "a metadata answer", version: version)
        }
        let rawTag = try reader.readUInt8()
        switch Tag(rawValue: rawTag) {
        case .done: self = .done
        case .repo: self = .repo(try reader.readRepoInfo())
        case .branch: self = .branch(try reader.readBranchInfo())
        case .commit: self = .commit(try reader.readCommitInfo(version: version))
        case .failed: self = .failed(try reader.readError())
        case .member where version >= 2: self = .member(try reader.readMemberInfo())
        case .member: throw .malformed("unknown metadata answer tag \(rawTag)")
        case nil: throw .malformed("unknown metadata answer tag \(rawTag)")
        }
        try reader.finish("metadata answer")
    }
}

extension BinaryWriter {
    mutating func write(_ info: RepoInfo) {
        write(info.name)
        write(info.description)
        write(info.createdAtNanos)
        write(info.sizeBytes)
        write(info.branches) { $0.write($1) }
    }

    mutating func write(_ info: BranchInfo) {
        write(info.key)
        write(info.head) { $0.write($1) }
        write(info.directProvenance) { $0.write($1) }
        write(info.provenance) { $0.write($1) }
        write(info.subvenance) { $0.write($1) }
    }

    mutating func write(_ info: CommitInfo) {
        write(info.id)
        write(info.repo)
        write(info.branch)
        write(info.parent) { $0.write($1) }
        write(info.children) { $0.write($1) }
        write(info.startedAtNanos)
        write(info.finishedAtNanos) { $0.write($1) }
        write(info.sizeBytes)
        write(info.rootTreeID)
        write(info.provenance) { $0.write($1) }
        write(info.description)
        write(info.stagedVersion)
        write(info.stagedPaths)
    }

    public mutating func write(_ entry: CommitProvenance) {
        write(entry.branch)
        write(entry.commit)
    }
}

extension BinaryReader {
    mutating func readRepoInfo() throws(PFSError) -> RepoInfo {
        RepoInfo(name: try readRepoName(), description: try readString(), createdAtNanos: try readUInt64(),
                 sizeBytes: try readUInt64(),
                 branches: try readArray { r throws(PFSError) in try r.readBranchName() })
    }

    mutating func readBranchInfo() throws(PFSError) -> BranchInfo {
        BranchInfo(key: try readBranchKey(),
                   head: try readOptional { r throws(PFSError) in try r.readCommitID() },
                   directProvenance: try readBranchKeys(), provenance: try readBranchKeys(),
                   subvenance: try readBranchKeys())
    }

    mutating func readCommitInfo(version: UInt8) throws(PFSError) -> CommitInfo {
        var info = CommitInfo(id: try readCommitID(), repo: try readRepoName(), branch: try readBranchName(),
                              parent: try readOptional { r throws(PFSError) in try r.readCommitID() },
                              children: try readCommitIDs(), startedAtNanos: try readUInt64(),
                              finishedAtNanos: try readOptional { r throws(PFSError) in try r.readUInt64() },
                              sizeBytes: try readUInt64(), rootTreeID: try readString(),
                              provenance: try readArray { r throws(PFSError) in try r.readCommitProvenance() })
        if version >= 3 {
            info.description = try readString()
            info.stagedVersion = try readUInt64()
            info.stagedPaths = try readUInt64()
        }
        return info
    }

    public mutating func readCommitProvenance() throws(PFSError) -> CommitProvenance {
        CommitProvenance(branch: try readBranchKey(), commit: try readCommitID())
    }

    mutating func readBranchKeys() throws(PFSError) -> [BranchKey] {
        try readArray { r throws(PFSError) in try r.readBranchKey() }
    }

    mutating func readCommitIDs() throws(PFSError) -> [CommitID] {
        try readArray { r throws(PFSError) in try r.readCommitID() }
    }
}

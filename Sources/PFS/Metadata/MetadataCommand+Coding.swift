/// The log format of commands. Layout: a version byte (3; 1 and 2 are read too), a tag byte, then the fields in declaration
/// order (see `BinaryWriter`). Any change to the layout MUST bump the version, because a node that meets
/// a version it does not know stops (`unsupportedVersion`) rather than apply it differently from its peers.
extension MetadataCommand {
    /// The version this code writes and the only one it reads.
    public static let formatVersion: UInt8 = 3
    /// Version 1 had no member commands; versions before 3 had no file commands, and their start and
    /// finish carried no description or staged version. Both are still read.
    static let readableVersions: ClosedRange<UInt8> = 1...3

    private enum Tag: UInt8 {
        case createRepo = 1, deleteRepo, startCommit, finishCommit, deleteCommit, createBranch, deleteBranch
        case registerMember, setMemberLiveness, forgetMember
        case stageFiles, commitFiles
    }

    /// The bytes a proposer puts in a Raft entry. The same command always gives the same bytes.
    public var encoded: [UInt8] {
        var writer = BinaryWriter()
        writer.write(Self.formatVersion)
        switch self {
        case .createRepo(let name, let description, let createdAtNanos):
            writer.write(Tag.createRepo.rawValue)
            writer.write(name)
            writer.write(description)
            writer.write(createdAtNanos)
        case .deleteRepo(let name, let force):
            writer.write(Tag.deleteRepo.rawValue)
            writer.write(name)
            writer.write(force)
        case .startCommit(let repo, let branch, let parent, let id, let startedAtNanos, let description):
            writer.write(Tag.startCommit.rawValue)
            writer.write(repo)
            writer.write(branch)
            writer.write(parent) { $0.write($1) }
            writer.write(id)
            writer.write(startedAtNanos)
            writer.write(description)
        case .finishCommit(let ref, let finishedAtNanos, let sizeBytes, let rootTreeID, let version, let description):
            writer.write(Tag.finishCommit.rawValue)
            writer.write(ref)
            writer.write(finishedAtNanos)
            writer.write(sizeBytes)
            writer.write(rootTreeID)
            writer.write(version)
            writer.write(description)
        case .stageFiles(let ref, let basedOn, let writes, let guards):
            writer.write(Tag.stageFiles.rawValue)
            writer.write(ref)
            writer.write(basedOn)
            writer.write(writes) { $0.write($1) }
            writer.write(guards) { $0.write($1) }
        case .commitFiles(let key, let parent, let id, let startedAtNanos, let finishedAtNanos, let sizeBytes,
                          let rootTreeID, let description):
            writer.write(Tag.commitFiles.rawValue)
            writer.write(key)
            writer.write(parent) { $0.write($1) }
            writer.write(id)
            writer.write(startedAtNanos)
            writer.write(finishedAtNanos)
            writer.write(sizeBytes)
            writer.write(rootTreeID)
            writer.write(description)
        case .deleteCommit(let ref):
            writer.write(Tag.deleteCommit.rawValue)
            writer.write(ref)
        case .createBranch(let key, let head, let provenance):
            writer.write(Tag.createBranch.rawValue)
            writer.write(key)
            writer.write(head) { $0.write($1) }
            writer.write(provenance) { $0.write($1) }
        case .deleteBranch(let key, let force):
            writer.write(Tag.deleteBranch.rawValue)
            writer.write(key)
            writer.write(force)
        case .registerMember(let id, let apiAddress, let peerAddress, let atNanos):
            writer.write(Tag.registerMember.rawValue)
            writer.write(id)
            writer.write(apiAddress)
            writer.write(peerAddress)
            writer.write(atNanos)
        case .setMemberLiveness(let id, let isUp, let atNanos):
            writer.write(Tag.setMemberLiveness.rawValue)
            writer.write(id)
            writer.write(isUp)
            writer.write(atNanos)
        case .forgetMember(let id):
            writer.write(Tag.forgetMember.rawValue)
            writer.write(id)
        }
        return writer.bytes
    }

    /// Decodes `encoded`. Throws `unsupportedVersion` for another version and `malformed` for anything
    /// else that does not decode.
    public init(decoding bytes: [UInt8]) throws(PFSError) {
        var reader = BinaryReader(bytes)
        let version = try reader.readUInt8()
        guard Self.readableVersions.contains(version) else {
            throw .unsupportedVersion(what: "a metadata command", version: version)
        }
        let rawTag = try reader.readUInt8()
        let newest: Tag = version >= 3 ? .commitFiles : version == 2 ? .forgetMember : .deleteBranch
        guard let tag = Tag(rawValue: rawTag), tag.rawValue <= newest.rawValue else {
            throw .malformed("unknown metadata command tag \(rawTag)")
        }
        switch tag {
        case .createRepo:
            self = .createRepo(try reader.readRepoName(), description: try reader.readString(),
                               createdAtNanos: try reader.readUInt64())
        case .deleteRepo:
            self = .deleteRepo(try reader.readRepoName(), force: try reader.readBool())
        case .startCommit:
            let repo = try reader.readRepoName()
            let branch = try reader.readBranchName()
            let parent = try reader.readOptional { r throws(PFSError) in try r.readRef() }
            let id = try reader.readCommitID()
            let started = try reader.readUInt64()
            self = .startCommit(repo: repo, branch: branch, parent: parent, id: id, startedAtNanos: started,
                                description: version >= 3 ? try reader.readString() : "")
        case .finishCommit:
            let ref = try reader.readRef()
            let finished = try reader.readUInt64()
            let size = try reader.readUInt64()
            let root = try reader.readString()
            let staged = version >= 3 ? try reader.readUInt64() : 0
            self = .finishCommit(ref, finishedAtNanos: finished, sizeBytes: size, rootTreeID: root, stagedVersion: staged,
                                 description: version >= 3 ? try reader.readString() : "")
        case .stageFiles:
            self = .stageFiles(try reader.readRef(), basedOn: try reader.readUInt64(),
                               writes: try reader.readArray { r throws(PFSError) in try r.readStagedWrite() },
                               guards: try reader.readArray { r throws(PFSError) in try r.readPath() })
        case .commitFiles:
            self = .commitFiles(try reader.readBranchKey(),
                                parent: try reader.readOptional { r throws(PFSError) in try r.readCommitID() },
                                id: try reader.readCommitID(), startedAtNanos: try reader.readUInt64(),
                                finishedAtNanos: try reader.readUInt64(), sizeBytes: try reader.readUInt64(),
                                rootTreeID: try reader.readString(), description: try reader.readString())
        case .deleteCommit:
            self = .deleteCommit(try reader.readRef())
        case .createBranch:
            self = .createBranch(try reader.readBranchKey(),
                                 head: try reader.readOptional { r throws(PFSError) in try r.readRef() },
                                 provenance: try reader.readArray { r throws(PFSError) in try r.readBranchKey() })
        case .deleteBranch:
            self = .deleteBranch(try reader.readBranchKey(), force: try reader.readBool())
        case .registerMember:
            self = .registerMember(id: try reader.readUInt64(), apiAddress: try reader.readString(),
                                   peerAddress: try reader.readString(), atNanos: try reader.readUInt64())
        case .setMemberLiveness:
            self = .setMemberLiveness(id: try reader.readUInt64(), isUp: try reader.readBool(),
                                      atNanos: try reader.readUInt64())
        case .forgetMember:
            self = .forgetMember(id: try reader.readUInt64())
        }
        try reader.finish("metadata command")
    }
}

extension BinaryWriter {
    /// The repo, a target tag (0 branch, 1 commit) with the name or id, then the ancestry.
    mutating func write(_ ref: Ref) {
        write(ref.repo)
        switch ref.target {
        case .branch(let name):
            write(UInt8(0))
            write(name)
        case .commit(let id):
            write(UInt8(1))
            write(id)
        }
        write(ref.ancestry)
    }
}

extension BinaryReader {
    mutating func readRef() throws(PFSError) -> Ref {
        let repo = try readRepoName()
        let target: Ref.Target
        switch try readUInt8() {
        case 0: target = .branch(try readBranchName())
        case 1: target = .commit(try readCommitID())
        case let other: throw .malformed("unknown ref target tag \(other)")
        }
        return Ref(repo: repo, target: target, ancestry: try readUInt32())
    }
}

/// The snapshot image: the magic `PFSM`, a version byte (3), `appliedIndex`, `nextSequence`, then repos,
/// branches, commits (from version 3 with their description and staged writes) and (from version 2)
/// member records, each list sorted by key. Sorting makes the image a function of the state alone
/// (not of insertion history or the process's hash seed), so equal states give equal bytes on every node.
extension MetadataState {
    /// The version this code writes and the only one it reads.
    public static let snapshotVersion: UInt8 = 3
    /// Version 1 images (no member records) and version 2 (no commit descriptions or staged writes) are
    /// still read.
    static let readableSnapshotVersions: ClosedRange<UInt8> = 1...3

    private static let magic: [UInt8] = Array("PFSM".utf8)

    /// The whole state, `appliedIndex` included, as bytes.
    public func encoded() -> [UInt8] {
        var writer = BinaryWriter()
        for byte in Self.magic { writer.write(byte) }
        writer.write(Self.snapshotVersion)
        writer.write(appliedIndex)
        writer.write(nextSequence)
        writer.write(repos.keys.sorted()) { writer, name in
            let record = repos[name]!
            writer.write(record.name)
            writer.write(record.description)
            writer.write(record.createdAtNanos)
        }
        writer.write(branches.keys.sorted()) { writer, key in
            let record = branches[key]!
            writer.write(record.key)
            writer.write(record.head) { $0.write($1) }
            writer.write(record.provenance.sorted()) { $0.write($1) }
        }
        writer.write(commits.keys.sorted()) { writer, id in
            writer.write(commits[id]!)
        }
        writer.write(listMembers()) { $0.write($1) }
        return writer.bytes
    }

    /// Decodes an image from `encoded()`, perhaps written on another node. Refuses (`malformed`) bytes
    /// that do not decode, duplicate keys, and a state that breaks an invariant: a corrupt snapshot must
    /// stop the node rather than be served.
    public init(decoding bytes: [UInt8]) throws(PFSError) {
        var reader = BinaryReader(bytes)
        for byte in Self.magic where try reader.readUInt8() != byte {
            throw .malformed("not a PFS metadata snapshot (bad magic)")
        }
        let version = try reader.readUInt8()
        guard Self.readableSnapshotVersions.contains(version) else {
            throw .unsupportedVersion(what: "a PFS metadata snapshot", version: version)
        }
        self.init()
        appliedIndex = try reader.readUInt64()
        nextSequence = try reader.readUInt64()
        for record in try reader.readArray({ r throws(PFSError) in try r.readRepoRecord() }) {
            guard repos.updateValue(record, forKey: record.name) == nil else { throw .malformed("repo \(record.name) twice") }
        }
        for record in try reader.readArray({ r throws(PFSError) in try r.readBranchRecord() }) {
            guard branches.updateValue(record, forKey: record.key) == nil else { throw .malformed("branch \(record.key) twice") }
        }
        for record in try reader.readArray({ r throws(PFSError) in try r.readCommitRecord(version: version) }) {
            guard commits.updateValue(record, forKey: record.id) == nil else { throw .malformed("commit \(record.id) twice") }
        }
        if version >= 2 {
            for info in try reader.readArray({ r throws(PFSError) in try r.readMemberInfo() }) {
                guard members.updateValue(info, forKey: info.id) == nil else { throw .malformed("member \(info.id) twice") }
            }
        }
        try reader.finish("metadata snapshot")
        if let violation = invariantViolation() { throw .malformed("snapshot state is inconsistent: \(violation)") }
    }
}

extension BinaryWriter {
    mutating func write(_ record: MetadataState.CommitRecord) {
        write(record.id)
        write(record.repo)
        write(record.branch)
        write(record.parent) { $0.write($1) }
        write(record.children.sorted()) { $0.write($1) }
        write(record.startedAtNanos)
        write(record.finishedAtNanos) { $0.write($1) }
        write(record.sizeBytes)
        write(record.rootTreeID)
        write(record.provenance) { $0.write($1) }
        write(record.sequence)
        write(record.description)
        write(record.staged)
    }
}

extension BinaryReader {
    mutating func readRepoRecord() throws(PFSError) -> MetadataState.RepoRecord {
        MetadataState.RepoRecord(name: try readRepoName(), description: try readString(),
                                 createdAtNanos: try readUInt64())
    }

    mutating func readBranchRecord() throws(PFSError) -> MetadataState.BranchRecord {
        MetadataState.BranchRecord(key: try readBranchKey(),
                                   head: try readOptional { r throws(PFSError) in try r.readCommitID() },
                                   provenance: Set(try readBranchKeys()))
    }

    mutating func readCommitRecord(version: UInt8) throws(PFSError) -> MetadataState.CommitRecord {
        var record = MetadataState.CommitRecord(id: try readCommitID(), repo: try readRepoName(), branch: try readBranchName(),
                                   parent: try readOptional { r throws(PFSError) in try r.readCommitID() },
                                   children: Set(try readCommitIDs()), startedAtNanos: try readUInt64(),
                                   finishedAtNanos: try readOptional { r throws(PFSError) in try r.readUInt64() },
                                   sizeBytes: try readUInt64(), rootTreeID: try readString(),
                                   provenance: try readArray { r throws(PFSError) in try r.readCommitProvenance() },
                                   sequence: try readUInt64())
        if version >= 3 {
            record.description = try readString()
            record.staged = try readStagedTree()
        }
        return record
    }
}

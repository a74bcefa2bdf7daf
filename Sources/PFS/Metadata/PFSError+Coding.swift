/// Errors travel in answers, so each case has a stable tag. New cases take new tags; tags are never reused.
extension BinaryWriter {
    public mutating func write(_ error: PFSError) {
        switch error {
        case .invalidName(let kind, let name, let why): tag(1, kind, name, why)
        case .invalidRef(let text, let why): tag(2, text, why)
        case .invalidArgument(let why): tag(3, why)
        case .repoExists(let repo): tag(4, repo.text)
        case .repoNotFound(let repo): tag(5, repo.text)
        case .repoHasDependents(let repo, let dependents):
            tag(6, repo.text)
            write(dependents) { $0.write($1) }
        case .branchNotFound(let key): tag(7, key)
        case .branchHasNoHead(let key): tag(8, key)
        case .branchHasOpenCommit(let key, let id):
            tag(9, key)
            write(id)
        case .branchHasDependents(let key, let dependents):
            tag(10, key)
            write(dependents) { $0.write($1) }
        case .provenanceCycle(let path):
            write(UInt8(11))
            write(path) { $0.write($1) }
        case .commitExists(let id): tag(12, id)
        case .commitNotFound(let id): tag(13, id)
        case .ancestorNotFound(let ref, let available):
            tag(14, ref)
            write(available)
        case .commitNotInRepo(let id, let repo):
            tag(15, id)
            write(repo)
        case .commitFinished(let id): tag(16, id)
        case .commitNotFinished(let id): tag(17, id)
        case .commitHasChildren(let id, let children):
            tag(18, id)
            write(children) { $0.write($1) }
        case .commitHasSubvenance(let id, let dependents):
            tag(19, id)
            write(dependents) { $0.write($1) }
        case .malformed(let why): tag(20, why)
        case .unsupportedVersion(let what, let version):
            tag(21, what)
            write(version)
        case .memberNotFound(let id):
            write(UInt8(22))
            write(id)
        case .stagedConflict(let id, let path):
            tag(23, id)
            write(path)
        case .branchHeadMoved(let key, let expected, let actual):
            tag(24, key)
            write(expected) { $0.write($1) }
            write(actual) { $0.write($1) }
        case .limitExceeded(let why): tag(25, why)
        case .fileNotFound(let path, let commit): tag(26, path, commit)
        case .commitChanged(let id, let expected, let actual):
            tag(27, id)
            write(expected)
            write(actual)
        case .notFound(let what): tag(28, what)
        case .alreadyExists(let what): tag(29, what)
        case .failedPrecondition(let why): tag(30, why)
        }
    }

    private mutating func tag(_ value: UInt8, _ strings: String...) {
        write(value)
        for string in strings { write(string) }
    }

    private mutating func tag(_ value: UInt8, _ key: BranchKey) {
        write(value)
        write(key)
    }

    private mutating func tag(_ value: UInt8, _ id: CommitID) {
        write(value)
        write(id)
    }
}

extension BinaryReader {
    public mutating func readError() throws(PFSError) -> PFSError {
        let tag = try readUInt8()
        switch tag {
        case 1: return .invalidName(kind: try readString(), name: try readString(), why: try readString())
        case 2: return .invalidRef(text: try readString(), why: try readString())
        case 3: return .invalidArgument(try readString())
        case 4: return .repoExists(try readRepoName())
        case 5: return .repoNotFound(try readRepoName())
        case 6: return .repoHasDependents(try readRepoName(), dependents: try readBranchKeys())
        case 7: return .branchNotFound(try readBranchKey())
        case 8: return .branchHasNoHead(try readBranchKey())
        case 9: return .branchHasOpenCommit(try readBranchKey(), try readCommitID())
        case 10: return .branchHasDependents(try readBranchKey(), dependents: try readBranchKeys())
        case 11: return .provenanceCycle(try readBranchKeys())
        case 12: return .commitExists(try readCommitID())
        case 13: return .commitNotFound(try readCommitID())
        case 14: return .ancestorNotFound(ref: try readString(), available: try readUInt32())
        case 15: return .commitNotInRepo(try readCommitID(), try readRepoName())
        case 16: return .commitFinished(try readCommitID())
        case 17: return .commitNotFinished(try readCommitID())
        case 18: return .commitHasChildren(try readCommitID(), children: try readCommitIDs())
        case 19: return .commitHasSubvenance(try readCommitID(), dependents: try readCommitIDs())
        case 20: return .malformed(try readString())
        case 21: return .unsupportedVersion(what: try readString(), version: try readUInt8())
        case 22: return .memberNotFound(try readUInt64())
        case 23: return .stagedConflict(try readCommitID(), path: try readString())
        case 24:
            return .branchHeadMoved(try readBranchKey(), expected: try readOptional { r throws(PFSError) in try r.readCommitID() },
                                    actual: try readOptional { r throws(PFSError) in try r.readCommitID() })
        case 25: return .limitExceeded(try readString())
        case 26: return .fileNotFound(path: try readString(), commit: try readString())
        case 27: return .commitChanged(try readCommitID(), expected: try readUInt64(), actual: try readUInt64())
        case 28: return .notFound(try readString())
        case 29: return .alreadyExists(try readString())
        case 30: return .failedPrecondition(try readString())
        default: throw .malformed("unknown error tag \(tag)")
        }
    }
}

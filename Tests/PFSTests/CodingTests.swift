import Testing
@testable import PFS

@Suite struct CodingTests {
    static let id = cid(7)

    static let commands: [MetadataCommand] = [
        .createRepo(repo("images"), description: "cats \u{1F408}", createdAtNanos: .max),
        .deleteRepo(repo("images"), force: true),
        .startCommit(repo: repo("images"), branch: branch("master"), parent: nil, id: id, startedAtNanos: 1),
        .startCommit(repo: repo("images"), branch: branch("dev"), parent: ref("images@master^3"), id: id, startedAtNanos: 2),
        .finishCommit(ref("images@\(id)^1"), finishedAtNanos: 3, sizeBytes: 1 << 40, rootTreeID: "abc"),
        .deleteCommit(ref("images@master")),
        .createBranch(key("images", "dev"), head: ref("images@master"), provenance: [key("raw", "master"), key("a", "b")]),
        .createBranch(key("images", "dev"), head: nil, provenance: []),
        .deleteBranch(key("images", "dev"), force: false),
        .registerMember(id: 4, apiAddress: "127.0.0.1:30654", peerAddress: "[::1]:30754", atNanos: 9),
        .setMemberLiveness(id: .max, isUp: false, atNanos: 10),
        .forgetMember(id: 4),
        .startCommit(repo: repo("images"), branch: branch("x"), parent: nil, id: id, startedAtNanos: 4, description: "why"),
        .finishCommit(ref("images@x"), finishedAtNanos: 5, sizeBytes: 6, rootTreeID: "", stagedVersion: 9, description: "done"),
        .stageFiles(ref("images@\(id)"), basedOn: 3,
                    writes: [.put(path("/a/b"), .file(fileID(1), sizeBytes: 10)), .delete(path("/")),
                             .put(path("/c"), .directory(fileID(2), sizeBytes: 1 << 50))],
                    guards: [path("/split")]),
        .stageFiles(ref("images@master"), basedOn: 0, writes: [], guards: []),
        .commitFiles(key("images", "master"), parent: nil, id: id, startedAtNanos: 1, finishedAtNanos: 2, sizeBytes: 3,
                     rootTreeID: "t", description: "d"),
        .commitFiles(key("images", "dev"), parent: cid(3), id: id, startedAtNanos: 1, finishedAtNanos: 2, sizeBytes: 3,
                     rootTreeID: "", description: ""),
    ]

    @Test(arguments: commands)
    func commandsRoundTrip(command: MetadataCommand) throws {
        #expect(try MetadataCommand(decoding: command.encoded) == command)
        #expect(command.encoded.first == MetadataCommand.formatVersion)
    }

    /// The layout is the format: a change here is a format change and needs a new version.
    @Test func commandLayoutIsStable() throws {
        let bytes = MetadataCommand.deleteRepo(repo("ab"), force: true).encoded
        #expect(bytes == [3, 2, 2, 0, 0, 0, UInt8(ascii: "a"), UInt8(ascii: "b"), 1])
    }

    /// Version 2 start and finish had no description or staged version; they still decode, as empty ones.
    @Test func versionTwoStartAndFinishStillDecode() throws {
        var start = MetadataCommand.startCommit(repo: repo("a"), branch: branch("m"), parent: nil, id: cid(7),
                                                startedAtNanos: 5).encoded
        start.removeLast(4)  // the empty description
        start[0] = 2
        #expect(try MetadataCommand(decoding: start)
                == .startCommit(repo: repo("a"), branch: branch("m"), parent: nil, id: cid(7), startedAtNanos: 5))
        var finish = MetadataCommand.finishCommit(ref("a@m"), finishedAtNanos: 1, sizeBytes: 2, rootTreeID: "t").encoded
        finish.removeLast(8 + 4)  // the staged version and the empty description
        finish[0] = 2
        #expect(try MetadataCommand(decoding: finish) == .finishCommit(ref("a@m"), finishedAtNanos: 1, sizeBytes: 2, rootTreeID: "t"))
        var stage = MetadataCommand.stageFiles(ref("a@m"), basedOn: 0, writes: [], guards: []).encoded
        stage[0] = 2
        #expect(throws: PFSError.malformed("unknown metadata command tag 11")) { try MetadataCommand(decoding: stage) }
    }

    /// Logs written before member records existed (version 1) still replay; member tags need version 2.
    @Test func versionOneCommandsStillDecode() throws {
        var bytes = MetadataCommand.deleteRepo(repo("ab"), force: true).encoded
        bytes[0] = 1
        #expect(try MetadataCommand(decoding: bytes) == .deleteRepo(repo("ab"), force: true))
        var member = MetadataCommand.forgetMember(id: 3).encoded
        member[0] = 1
        #expect(throws: PFSError.malformed("unknown metadata command tag 10")) { try MetadataCommand(decoding: member) }
    }

    static let errors: [PFSError] = [
        .invalidName(kind: "repo", name: "a b", why: "space"), .invalidRef(text: "x", why: "y"), .invalidArgument("z"),
        .repoExists(repo("a")), .repoNotFound(repo("a")), .repoHasDependents(repo("a"), dependents: [key("b", "c")]),
        .branchNotFound(key("a", "b")), .branchHasNoHead(key("a", "b")), .branchHasOpenCommit(key("a", "b"), id),
        .branchHasDependents(key("a", "b"), dependents: [key("c", "d"), key("e", "f")]),
        .provenanceCycle([key("a", "b"), key("a", "b")]), .commitExists(id), .commitNotFound(id),
        .ancestorNotFound(ref: "a@b^9", available: 3), .commitNotInRepo(id, repo("a")), .commitFinished(id),
        .commitNotFinished(id), .commitHasChildren(id, children: [cid(8)]), .commitHasSubvenance(id, dependents: [cid(9)]),
        .malformed("m"), .unsupportedVersion(what: "w", version: 9), .memberNotFound(12),
        .stagedConflict(id, path: "/a"), .branchHeadMoved(key("a", "b"), expected: nil, actual: id),
        .branchHeadMoved(key("a", "b"), expected: id, actual: nil), .commitChanged(id, expected: 1, actual: 2),
        .limitExceeded("too many"), .fileNotFound(path: "/x", commit: "a@b"),
    ]

    @Test(arguments: errors)
    func failuresRoundTrip(error: PFSError) throws {
        #expect(try MetadataResult(decoding: MetadataResult.failed(error).encoded) == .failed(error))
        #expect(!error.description.isEmpty)
    }

    @Test func successesRoundTrip() throws {
        let results: [MetadataResult] = [
            .done,
            .repo(RepoInfo(name: repo("a"), description: "d", createdAtNanos: 1, sizeBytes: 2, branches: [branch("m")])),
            .branch(BranchInfo(key: key("a", "m"), head: Self.id, directProvenance: [key("b", "m")],
                               provenance: [key("b", "m"), key("c", "m")], subvenance: [key("d", "m")])),
            .commit(CommitInfo(id: Self.id, repo: repo("a"), branch: branch("m"), parent: cid(1), children: [cid(2)],
                               startedAtNanos: 5, finishedAtNanos: 6, sizeBytes: 7, rootTreeID: "t",
                               provenance: [CommitProvenance(branch: key("b", "m"), commit: cid(3))])),
            .commit(CommitInfo(id: Self.id, repo: repo("a"), branch: branch("m"), parent: nil, children: [],
                               startedAtNanos: 5, finishedAtNanos: nil, sizeBytes: 0, rootTreeID: "", provenance: [])),
            .member(MemberInfo(id: 2, apiAddress: "h:1", peerAddress: "h:2", isUp: false, changedAtNanos: 3)),
        ]
        for result in results {
            #expect(try MetadataResult(decoding: result.encoded) == result)
        }
    }

    @Test func unknownVersionsAreRefusedAsSuch() throws {
        var bytes = MetadataCommand.deleteRepo(repo("a"), force: false).encoded
        bytes[0] = 4
        #expect(throws: PFSError.unsupportedVersion(what: "a metadata command", version: 4)) {
            try MetadataCommand(decoding: bytes)
        }
        #expect(throws: PFSError.unsupportedVersion(what: "a metadata answer", version: 0)) {
            try MetadataResult(decoding: [0, 0])
        }
    }

    /// Every truncation and a trailing byte are refused, never misread.
    @Test(arguments: commands)
    func damagedCommandsAreMalformed(command: MetadataCommand) {
        let bytes = command.encoded
        for length in 1..<bytes.count {
            #expect(throws: PFSError.self) { try MetadataCommand(decoding: Array(bytes.prefix(length))) }
        }
        #expect(throws: PFSError.malformed("1 unexpected byte(s) after the metadata command")) {
            try MetadataCommand(decoding: bytes + [0])
        }
    }

    @Test(arguments: [
        ([UInt8](), "runs past the end"),
        ([1, 99], "unknown metadata command tag 99"),
        ([1, 2, 1, 0, 0, 0, UInt8(ascii: "!"), 0], "stored repo name '!' is invalid"),
        ([1, 2, 1, 0, 0, 0, UInt8(ascii: "a"), 2], "flag byte is 2"),
        ([1, 2, 2, 0, 0, 0, 0xC3, 0x28, 0], "not valid UTF-8"),
        ([1, 6, 1, 0, 0, 0, 0x61, 1, 0, 0, 0, 0x62, 0, 0xFF, 0xFF, 0xFF, 0xFF], "claims 4294967295 elements"),
    ])
    func malformedCommands(bytes: [UInt8], why: String) {
        #expect {
            try MetadataCommand(decoding: bytes)
        } throws: { error in
            guard case PFSError.malformed(let reason) = error else { return false }
            return reason.contains(why)
        }
    }
}

import PachAPI
import Testing
@testable import PachctlKit

/// Files as `list file`, `glob file`, `inspect file`, `diff file`, `put file` and `subscribe commit`
/// print them, as tables (compared with `testdata/`) and as JSON.
struct PresenterFilesTests {
    let table = Presenter(format: .table, nowUnixNanos: Fixtures.now)
    let json = Presenter(format: .json, nowUnixNanos: Fixtures.now)

    @Test func listFile() throws {
        try Golden.check(
            table.files([Fixtures.root, Fixtures.cats, Fixtures.tom, Fixtures.spaced, Fixtures.huge, Fixtures.empty]),
            "list-file")
    }

    @Test func emptyListsPrintHeadersOnly() {
        #expect(table.files([]) == "NAME   TYPE   SIZE\n")
        #expect(table.diff([]) == "CHANGE   PATH   SIZE\n")
        #expect(json.files([]) == "")
        #expect(json.diff([]) == "")
    }

    @Test func inspectFile() throws {
        try Golden.check(table.file(Fixtures.tom), "inspect-file")
        try Golden.check(table.file(Fixtures.cats), "inspect-file-dir")
    }

    @Test func inspectWithoutBranchOrObject() {
        #expect(
            table.file(Fixtures.empty) == """
                Path:        /cats/empty
                Type:        file
                Size:        0 B (0 bytes)
                Commit:      images@\(Fixtures.secondID)
                File object: -

                """)
    }

    @Test func diffFile() throws {
        try Golden.check(
            table.diff([
                Fixtures.change(.added, new: Fixtures.tom),
                Fixtures.change(.deleted, old: Fixtures.spaced),
                Fixtures.change(.modified, new: Fixtures.huge, old: Fixtures.empty),
                Fixtures.change(.unspecified, old: Fixtures.empty),
            ]),
            "diff-file")
    }

    @Test func fileJSON() {
        #expect(
            json.file(Fixtures.tom)
                == #"{"repo":"images","branch":"master","commit":"0f1e2d3c4b5a69788796a5b4c3d2e1f0","path":"/cats/tom.txt","type":"file","size_bytes":5,"id":"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"}"#
                + "\n")
        #expect(
            json.file(Fixtures.empty)
                == #"{"repo":"images","branch":null,"commit":"a1b2c3d4e5f60718293a4b5c6d7e8f90","path":"/cats/empty","type":"file","size_bytes":0,"id":null}"#
                + "\n")
    }

    @Test func listFileJSONIsOneDocumentPerLineWithoutTrailingSlashes() {
        let lines = json.files([Fixtures.cats, Fixtures.huge]).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(
            lines.first
                == #"{"repo":"images","branch":"master","commit":"0f1e2d3c4b5a69788796a5b4c3d2e1f0","path":"/cats","type":"dir","size_bytes":1258291,"id":"abababababababababababababababababababababababababababababababab"}"#)
        #expect(lines.last?.contains(#""size_bytes":18446744073709551615"#) == true)
    }

    @Test func diffJSONHasNullForTheMissingSide() {
        let lines = json.diff([
            Fixtures.change(.added, new: Fixtures.tom),
            Fixtures.change(.deleted, old: Fixtures.empty),
            Fixtures.change(.modified, new: Fixtures.tom, old: Fixtures.empty),
        ]).split(separator: "\n")
        let tom = Presenter.json(file: Fixtures.tom).encoded()
        let empty = Presenter.json(file: Fixtures.empty).encoded()
        #expect(lines.count == 3)
        #expect(lines[0] == #"{"change":"added","new":"# + tom + #","old":null}"#)
        #expect(lines[1] == #"{"change":"deleted","new":null,"old":"# + empty + #"}"#)
        #expect(lines[2] == #"{"change":"modified","new":"# + tom + #","old":"# + empty + #"}"#)
    }

    @Test func wroteIsSilentInTablesAndAnOutcomeInJSON() {
        var response = Pfs_PutFileResponse()
        response.commit.repo = "images"
        response.commit.branch = "master"
        response.commit.id = Fixtures.secondID
        response.newCommit = true
        response.files = 3
        response.bytes = 1_258_291
        response.underReplicatedChunks = 2
        #expect(table.wrote(response) == "")
        #expect(
            json.wrote(response)
                == #"{"repo":"images","branch":"master","commit":"a1b2c3d4e5f60718293a4b5c6d7e8f90","new_commit":true,"files":3,"bytes":1258291,"under_replicated_chunks":2}"#
                + "\n")
        response.commit.branch = ""
        response.newCommit = false
        #expect(json.wrote(response).hasPrefix(#"{"repo":"images","branch":null,"commit":"a1b2c3d4e5f60718293a4b5c6d7e8f90","new_commit":false,"#))
    }

    @Test func subscribedCommitIsOneLine() {
        #expect(
            table.subscribedCommit(Fixtures.finishedCommit)
                == "images@0f1e2d3c4b5a69788796a5b4c3d2e1f0  master  1.2 MiB  2026-11-20T08:00:12.250Z  first \"batch\"\n")
        var commit = Fixtures.openCommit
        commit.branch = ""
        #expect(table.subscribedCommit(commit) == "images@a1b2c3d4e5f60718293a4b5c6d7e8f90  -  0 B  -\n")
        // A multi-line description must not split the commit over several lines.
        commit.description_p = "first line\nsecond\tline"
        #expect(table.subscribedCommit(commit) == "images@a1b2c3d4e5f60718293a4b5c6d7e8f90  -  0 B  -  first line second line\n")
    }

    @Test func subscribedCommitJSONIsTheCommitDocument() {
        #expect(json.subscribedCommit(Fixtures.finishedCommit) == json.commit(Fixtures.finishedCommit))
        #expect(json.subscribedCommit(Fixtures.finishedCommit).hasPrefix(#"{"repo":"images","branch":"master","id":"0f1e2d3c4b5a69788796a5b4c3d2e1f0","#))
    }
}

/// Files of images@master (the finished commit) and one file of an open commit made without a branch.
extension Fixtures {
    static let fileID = String(repeating: "cd", count: 32)

    static func file(_ path: String, _ type: Pfs_FileType, _ size: UInt64, id: String = fileID) -> Pfs_FileInfo {
        var file = Pfs_FileInfo()
        file.commit.repo = "images"
        file.commit.branch = "master"
        file.commit.id = firstID
        file.path = path
        file.type = type
        file.sizeBytes = size
        file.id = id
        return file
    }

    static var root: Pfs_FileInfo { file("/", .dir, 1_258_296, id: treeID) }
    static var cats: Pfs_FileInfo { file("/cats", .dir, 1_258_291, id: treeID) }
    static var tom: Pfs_FileInfo { file("/cats/tom.txt", .file, 5) }
    static var spaced: Pfs_FileInfo { file("/my photos/a b.png", .file, 3 << 50) }
    static var huge: Pfs_FileInfo { file("/huge.bin", .file, UInt64.max) }

    static var empty: Pfs_FileInfo {
        var file = file("/cats/empty", .file, 0, id: "")
        file.commit.branch = ""
        file.commit.id = secondID
        return file
    }

    static func change(_ type: Pfs_DiffType, new: Pfs_FileInfo? = nil, old: Pfs_FileInfo? = nil) -> Pfs_DiffFileResponse {
        var change = Pfs_DiffFileResponse()
        change.type = type
        if let new { change.newFile = new }
        if let old { change.oldFile = old }
        return change
    }
}

import Foundation
import GRPCCore
import PFS
import PachAPI
import Testing
@testable import Node

/// The file API over the fake backend and an in-memory chunk store: what each call writes and reads,
/// one call one commit, open commits, appends, splits, copies, deletes, diffs, and refusals that change
/// nothing.
@Suite struct FileServiceTests {
    @Test func aPutWithoutAnOpenCommitMakesOneFinishedCommitForTheWholeCall() async throws {
        let harness = PfsHarness()
        _ = try await harness.createRepo("images")
        let response = try await harness.putFiles("images", "master", [.init("/a.txt", "alpha"), .init("/dir/b.txt", "beta!")])
        #expect(response.newCommit && response.files == 2 && response.bytes == 10)
        let commits = try await harness.listCommit("images")
        #expect(commits.count == 1 && commits[0].state == .finished && commits[0].sizeBytes == 10)
        #expect(try await harness.text("images", "master", "/a.txt") == "alpha")
        #expect(try await harness.text("images", "master", "/dir/b.txt") == "beta!")
        let listing = try await harness.listFile("images", "master")
        #expect(listing.map(\.path) == ["/a.txt", "/dir"] && listing.map(\.type) == [.file, .dir])
        #expect(listing.map(\.sizeBytes) == [5, 5])
        // The metadata carries ids, never bytes: one commitFiles proposal for the call.
        let kinds = harness.backend.proposals.map { "\($0.command)".prefix(11) }
        #expect(kinds.filter { $0 == "commitFiles" }.count == 1)
    }

    @Test func manyFilesOnManySlotsShareBatchesAndReadBackExactly() async throws {
        let harness = PfsHarness()
        _ = try await harness.createRepo("many")
        var random = SystemRandomNumberGenerator()
        let files = (0..<300).map { n in
            PfsHarness.Upload("/d\(n % 7)/f\(n)", bytes: (0..<(n * 37 % 5_000)).map { _ in UInt8.random(in: 0...255, using: &random) })
        }
        let response = try await harness.putFiles("many", "master", files, slots: 8)
        #expect(response.files == 300)
        #expect(harness.backend.chunkIO.writeCalls < 20, "small files are batched: \(harness.backend.chunkIO.writeCalls) batches")
        let all = try await harness.getFile("many", "master", "/", recursive: true)
        #expect(all.count == 300)
        for file in files { #expect(all[file.path] == file.bytes, "\(file.path)") }
    }

    @Test func largeFilesStreamInChunksAndReadBackIdentical() async throws {
        let harness = PfsHarness()
        _ = try await harness.createRepo("big")
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<(9 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        try await harness.putFiles("big", "master", [.init("/blob", bytes: bytes)])
        let info = try await harness.inspectFile("big", "master", "/blob")
        #expect(info.sizeBytes == UInt64(bytes.count) && info.type == .file && info.id.count == 64)
        #expect(try await harness.getFile("big", "master", "/blob")["/blob"] == bytes)
        #expect(harness.backend.chunkIO.count >= 4, "cut into ~1 MiB chunks")
    }

    @Test func writesGoIntoAnOpenHeadAndAreReadableBeforeTheFinish() async throws {
        let harness = PfsHarness()
        _ = try await harness.createRepo("open")
        try await harness.put("open", "/base", "v1")
        let open = try await harness.startCommit("open")
        let staged = try await harness.put("open", "/new", "fresh")
        #expect(!staged.newCommit && staged.commit.id == open.id)
        try await harness.put("open", "/base", "+more", append: true)
        #expect(try await harness.text("open", "master", "/base") == "v1+more", "reads of an open commit see staged writes")
        #expect(try await harness.text("open", "master^", "/base") == "v1", "the parent is unchanged")
        let finished = try await harness.finishCommit("open")
        #expect(finished.state == .finished && finished.sizeBytes == 12 && finished.rootTreeID.count == 64)
        #expect(try await harness.listFile("open", "master").map(\.path) == ["/base", "/new"])
        #expect(try await harness.diffFile("open", "master") == ["~ /base", "+ /new"])
    }

    @Test func splitsMakeNumberedPiecesAndASecondSplitContinues() async throws {
        let harness = PfsHarness()
        _ = try await harness.createRepo("lines")
        var upload = PfsHarness.Upload("/rows", "1\n2\n3\n4\n5\n")
        upload.split = .line
        upload.targetDatums = 2
        try await harness.putFiles("lines", "master", [upload])
        upload.bytes = Array("6\n7\n".utf8)
        try await harness.putFiles("lines", "master", [upload])
        let pieces = try await harness.listFile("lines", "master", "/rows")
        #expect(pieces.map(\.path) == (0..<4).map { "/rows/" + SplitNaming.name(UInt64($0)) })
        #expect(try await harness.text("lines", "master", "/rows/0000000000000002") == "5\n")
        #expect(try await harness.text("lines", "master", "/rows/0000000000000003") == "6\n7\n")
    }

    @Test func copyIsByReferenceAndDeleteRemovesSubtrees() async throws {
        let harness = PfsHarness()
        _ = try await harness.createRepo("c")
        try await harness.putFiles("c", "master", [.init("/src/a", "A"), .init("/src/sub/b", "B"), .init("/keep", "K")])
        let framesBefore = harness.backend.chunkIO.framesWritten
        let copied = try await harness.copyFile("c", "master", "/src", to: "master", "/dst")
        #expect(copied.newCommit)
        #expect(harness.backend.chunkIO.framesWritten == framesBefore + 1, "a copy stores only the new root directory")
        #expect(try await harness.inspectFile("c", "master", "/dst").id == (try await harness.inspectFile("c", "master", "/src").id))
        _ = try await harness.deleteFile("c", "master", ["/src", "/missing"])
        #expect(try await harness.globFile("c", "master", "/**") == ["/dst", "/dst/a", "/dst/sub", "/dst/sub/b", "/keep"])
        #expect(try await harness.diffFile("c", "master") == ["- /src/a", "- /src/sub/b"])
        #expect(try await harness.diffFile("c", "master", oldRef: "master^^") == ["+ /dst/a", "+ /dst/sub/b", "- /src/a", "- /src/sub/b"])
    }

    @Test func refusalsChangeNothing() async throws {
        let harness = PfsHarness()
        _ = try await harness.createRepo("r")
        try await harness.put("r", "/file", "x")
        let before = harness.backend.metadata.currentState()
        let cases: [(String, RPCError.Code, () async throws -> Void)] = [
            ("a path with ..", .invalidArgument, { try await harness.put("r", "/a/../b", "x") }),
            ("a path with NUL", .invalidArgument, { try await harness.put("r", "/a\u{0}b", "x") }),
            ("a path over 4096 bytes", .invalidArgument, { try await harness.put("r", "/" + String(repeating: "a/", count: 2100), "x") }),
            ("a put through a file", .invalidArgument, { try await harness.put("r", "/file/under", "x") }),
            ("a put onto the root", .invalidArgument, { try await harness.put("r", "/", "x") }),
            ("a missing repo", .notFound, { try await harness.put("ghost", "/f", "x") }),
            ("an ancestor ref", .invalidArgument, { try await harness.put("r", "/f", "x", ref: "master^") }),
            ("a finished commit by id", .failedPrecondition, {
                let head = try await harness.inspectCommit("r", "master").id
                try await harness.put("r", "/f", "x", ref: head)
            }),
        ]
        for (name, code, call) in cases {
            await expectRPCError(code, call)
            #expect(harness.backend.metadata.currentState() == before, "\(name) changed the state")
        }
        // A stream that ends before a file's end writes nothing.
        let cut = PfsHarness.putMessages("r", "master", [.init("/partial", "never")], endFiles: false)
        await expectRPCError(.invalidArgument) { _ = try await harness.putFile(messages: cut) }
        #expect(harness.backend.metadata.currentState() == before)
        await expectRPCError(.notFound) { _ = try await harness.getFile("r", "master", "/nope") }
        await expectRPCError(.invalidArgument) { _ = try await harness.getFile("r", "master", "/") }
        await expectRPCError(.invalidArgument) { _ = try await harness.globFile("r", "master", "/[a") }
    }

    @Test func finishingAnEmptyOpenCommitKeepsTheParentTree() async throws {
        let harness = PfsHarness()
        _ = try await harness.createRepo("e")
        try await harness.put("e", "/f", "data")
        let parent = try await harness.inspectCommit("e", "master")
        _ = try await harness.startCommit("e")
        let finished = try await harness.finishCommit("e")
        #expect(finished.rootTreeID == parent.rootTreeID && finished.sizeBytes == 4)
        #expect(try await harness.diffFile("e", "master").isEmpty)
    }
}

import Replication
import Testing
@testable import PFS

/// Resolving a call's intents: appends find the file they extend, split pieces continue the numbering,
/// copies replace what is at their destination; the same outcome into a new commit and into an open one.
@Suite struct FileResolverTests {
    /// A stored file object of `pieces` (chunk n, size n each); its id and the object.
    static func object(_ store: MemoryTreeObjectStore, _ pieces: [Int]) -> (ChunkID, FileObject) {
        let object = FileObject(pieces: pieces.map { FileObject.Piece(chunk: fileID(UInt64($0)), sizeBytes: $0) })
        return (store.storeNow(object.encoded), object)
    }

    static func files(_ reader: TreeReader, _ root: ChunkID?) async throws -> [String: UInt64] {
        var result: [String: UInt64] = [:]
        for try await entry in reader.tree(root).walk() { result[entry.path.description] = entry.sizeBytes }
        return result
    }

    @Test func newCommitAppendsSplitsAndCopies() async throws {
        try await offPool {
            let (store, reader) = memoryTree()
            let (logID, log) = Self.object(store, [10])
            let (moreID, more) = Self.object(store, [5, 6])
            let (pieceID, _) = Self.object(store, [1])
            let base = try await build(reader, puts: [("/log", 0, 0), ("/parts/0000000000000004", 2, 2), ("/src/a", 3, 3)])
            // The base's /log is a stand-in id; put the real object there first, then append to it.
            let intents: [FileIntent] = [
                .put(path("/log"), object: logID, sizeBytes: log.sizeBytes),
                .append(path("/log"), addition: more, additionID: moreID),
                .append(path("/new"), addition: more, additionID: moreID),
                .splitPiece(directory: path("/parts"), object: pieceID, sizeBytes: 1),
                .splitPiece(directory: path("/parts"), object: pieceID, sizeBytes: 1),
                .copy(TreeEntry(path: path("/src"), kind: .directory, id: try await reader.tree(base).lookup(path("/src"))!.id,
                                sizeBytes: 3), to: path("/dst")),
                .delete(path("/src")),
            ]
            let result = try await NewCommitResolver.build(base: base, intents: intents, reader: reader)
            let files = try await Self.files(reader, result.root)
            #expect(files == ["/log": 21, "/new": 11, "/parts/0000000000000004": 2, "/parts/0000000000000005": 1,
                              "/parts/0000000000000006": 1, "/dst/a": 3])
            let appended = try await reader.fileObject(try await reader.tree(result.root).lookup(path("/log"))!.id)
            #expect(appended.pieces.map(\.sizeBytes) == [10, 5, 6])
        }
    }

    @Test func newCommitRefusesWhatCannotApply() async throws {
        try await offPool {
            let (store, reader) = memoryTree()
            let (id, object) = Self.object(store, [3])
            let base = try await build(reader, puts: [("/dir/f", 1, 1), ("/file", 2, 2)])
            let cases: [(FileIntent, String)] = [
                (.append(path("/dir"), addition: object, additionID: id), "'/dir' is a directory, cannot append to it"),
                (.splitPiece(directory: path("/file"), object: id, sizeBytes: 3), "'/file' is a file, cannot split into it"),
                (.put(path("/file/x"), object: id, sizeBytes: 3), "'/file' is a file, cannot put '/file/x' under it"),
            ]
            for (intent, expected) in cases {
                let text = await message { _ = try await NewCommitResolver.build(base: base, intents: [intent], reader: reader) }
                #expect(text?.contains(expected) == true, "\(intent): \(text ?? "no error")")
            }
        }
    }

    @Test func stagedBatchesRespectTheLimitAndContinueTheNumbering() async throws {
        try await offPool {
            let (store, reader) = memoryTree()
            let (pieceID, _) = Self.object(store, [1])
            let base = try await build(reader, puts: [("/p/0000000000000009", 1, 1)])
            let intents = (0..<25).map { _ in FileIntent.splitPiece(directory: path("/p"), object: pieceID, sizeBytes: 1) }
            var view = CommitView(parentRoot: base, staged: StagedTree(), reader: reader)
            var nextPiece: [PFSPath: UInt64] = [:]
            var done = 0
            var batches = 0
            while done < intents.count {
                let batch = try await StagedResolver.nextBatch(intents[done...], view: view, commit: cid(1), nextPiece: &nextPiece,
                                                               maxWrites: 10)
                #expect(batch.writes.count + batch.guards.count <= 10 && batch.consumed > 0)
                #expect(batch.guards == [path("/p")], "a split guards its directory")
                try view.staged.apply(batch.writes, basedOn: view.staged.version, guards: batch.guards, commit: cid(1), pathsMax: 1_000)
                done += batch.consumed
                batches += 1
            }
            #expect(batches == 4, "7 pieces and a guard per batch: room is kept for an intent of 2 writes and a guard")
            let built = try await TreeBuilder.build(base: base, changes: view.staged.changes, reader: reader)
            let names = try await Self.files(reader, built.root).keys.sorted()
            #expect(names.first == "/p/0000000000000009" && names.last == "/p/0000000000000022" && names.count == 26)
            #expect(try await view.pieceNumbers(in: path("/p")).max() == 0x22)
        }
    }

    @Test func stagedIntentsAreValidatedAgainstTheParentAndTheStagedWrites() async throws {
        try await offPool {
            let (store, reader) = memoryTree()
            let (id, object) = Self.object(store, [4])
            let base = try await build(reader, puts: [("/dir/f", 1, 1)])
            var view = CommitView(parentRoot: base, staged: StagedTree(), reader: reader)
            var next: [PFSPath: UInt64] = [:]
            let refused = await message {
                _ = try await StagedResolver.nextBatch([.put(path("/dir"), object: id, sizeBytes: 4)], view: view, commit: cid(1),
                                                       nextPiece: &next)
            }
            #expect(refused?.contains("'/dir' is a directory") == true, "\(refused ?? "accepted")")
            // Once /dir is deleted (staged), the same put is fine, and an append extends the staged file.
            try view.staged.apply([.delete(path("/dir"))], basedOn: 0, guards: [], commit: cid(1), pathsMax: 100)
            let batch = try await StagedResolver.nextBatch(
                [.put(path("/dir"), object: id, sizeBytes: 4), .append(path("/dir"), addition: object, additionID: id)],
                view: view, commit: cid(1), nextPiece: &next)
            #expect(batch.writes.count == 2)
            guard case .put(_, .file(let appended, let size)) = batch.writes.last else {
                Issue.record("expected a put, got \(batch.writes)")
                return
            }
            #expect(size == 8)
            #expect(try await reader.fileObject(appended).pieces.count == 2)
        }
    }

    @Test(arguments: [(0, "0000000000000000"), (255, "00000000000000ff"), (UInt64.max, "ffffffffffffffff")])
    func splitNamesAreSixteenHexDigits(number: UInt64, name: String) {
        #expect(SplitNaming.name(number) == name)
        #expect(SplitNaming.number(of: name) == number)
        #expect(SplitNaming.number(of: "000000000000000G") == nil && SplitNaming.number(of: "0") == nil)
    }
}

import Foundation
import Synchronization
import Testing
@testable import Replication

/// Options that accept writes on any machine with a little free space.
let testStoreOptions = ChunkStore.Options(reserveBytes: 1 << 20)

func frames(_ count: Int, seed: UInt64, size: Int = 20_000) -> [ChunkFrame] {
    (0..<count).map { index in
        let data = index % 2 == 0 ? TestData.text(size + index, seed: seed &+ UInt64(index))
            : TestData.random(size + index, seed: seed &+ UInt64(index))
        return ChunkFrame(encoding: data)
    }
}

/// Flips one byte of a file in place, behind the store's back (what a bad disk does).
func damage(_ path: String, at offset: Int) throws {
    let handle = try #require(FileHandle(forUpdatingAtPath: path))
    defer { try? handle.close() }
    try handle.seek(toOffset: UInt64(offset))
    let byte = try #require(try handle.read(upToCount: 1)?.first)
    try handle.seek(toOffset: UInt64(offset))
    try handle.write(contentsOf: [byte ^ 0x40])
}

@Suite struct ChunkStoreTests {
    @Test func putGetHasStatDeleteAndDedup() throws {
        let directory = TemporaryDirectory()
        let store = try ChunkStore(directory: directory.path, options: testStoreOptions)
        let chunks = frames(6, seed: 1)
        for frame in chunks { #expect(try store.put(frame) == .stored) }
        for frame in chunks { #expect(try store.put(frame) == .deduplicated, "already held: no write") }
        #expect(try store.put(data: try chunks[0].decode()).outcome == .deduplicated)
        for frame in chunks {
            let stored = try store.get(frame.id)
            #expect(stored.frame == frame)
            #expect(stored.data == (try frame.decode()))
            #expect(try store.stat(frame.id) == ChunkInfo(id: frame.id, rawLength: frame.rawLength, storedLength: frame.storedLength))
        }
        let absent = ChunkID(of: [9, 9, 9])
        #expect(try store.has(chunks.map(\.id) + [absent]) == Array(repeating: true, count: 6) + [false])
        #expect(try store.stat(absent) == nil)
        #expect(throws: ReplicationError.chunkNotFound(absent)) { try store.get(absent) }
        #expect(try store.totals() == ChunkStore.Totals(
            chunks: 6, rawBytes: chunks.reduce(0) { $0 + $1.rawLength }, storedBytes: chunks.reduce(0) { $0 + $1.storedLength }))
        #expect(directory.files(under: "chunks").count == 6)
        let hex = chunks[0].id.hex
        #expect(directory.list("chunks/\(hex.prefix(2))/\(hex.dropFirst(2).prefix(2))") == [hex], "2-level fan-out")

        #expect(try store.delete(chunks[0].id))
        #expect(try store.delete(chunks[0].id) == false)
        #expect(try store.contains(chunks[0].id) == false)
        #expect(directory.files(under: "chunks").count == 5)
        #expect(try store.totals().chunks == 5)
        #expect(try store.put(chunks[0]) == .stored, "a deleted chunk can be stored again")
        #expect(directory.files(under: "tmp").isEmpty)
    }

    @Test func listPagesInIdOrder() throws {
        let directory = TemporaryDirectory()
        let store = try ChunkStore(directory: directory.path, options: testStoreOptions)
        let chunks = frames(23, seed: 2, size: 300)
        for frame in chunks { try store.put(frame) }
        var seen: [ChunkID] = []
        var cursor: ChunkID?
        var pages = 0
        repeat {
            let page = try store.list(after: cursor, limit: 5)
            seen += page.chunks.map(\.id)
            cursor = page.next
            pages += 1
        } while cursor != nil && pages < 100
        #expect(seen == chunks.map(\.id).sorted())
        #expect(pages == 5)
        #expect(try store.list(limit: 0).chunks.isEmpty)
    }

    @Test func reopenRebuildsTheIndexAndRemovesCrashLeftovers() throws {
        let directory = TemporaryDirectory()
        let chunks = frames(5, seed: 3)
        var totals: ChunkStore.Totals
        do {
            let store = try ChunkStore(directory: directory.path, options: testStoreOptions)
            for frame in chunks { try store.put(frame) }
            totals = try store.totals()
            store.close()
            #expect(throws: ReplicationError.closed) { try store.get(chunks[0].id) }
        }
        // A crash mid-put leaves a temp file (whole or torn) behind.
        let leftover = "\(directory.path)/tmp/\(ChunkID(of: [1]).hex).7"
        #expect(FileManager.default.createFile(atPath: leftover, contents: Data(chunks[1].bytes.prefix(100))))
        let store = try ChunkStore(directory: directory.path, options: testStoreOptions)
        #expect(directory.list("tmp").isEmpty, "temp files removed on open")
        #expect(try store.totals() == totals)
        for frame in chunks { #expect(try store.get(frame.id).frame == frame) }
    }

    @Test func corruptCopyIsQuarantinedOnGet() throws {
        let directory = TemporaryDirectory()
        let store = try ChunkStore(directory: directory.path, options: testStoreOptions)
        let chunks = frames(3, seed: 4)
        for frame in chunks { try store.put(frame) }
        let victim = chunks[1]
        try damage(store.chunkPath(victim.id), at: ChunkFrame.headerSize + 100)
        #expect {
            try store.get(victim.id)
        } throws: { error in
            guard case .chunkCorrupt(let id, _) = error as? ReplicationError else { return false }
            return id == victim.id
        }
        #expect(try store.contains(victim.id) == false, "no longer held: fetch from a replica")
        #expect(directory.list("quarantine") == [victim.id.hex])
        #expect(try store.totals().chunks == 2)
        #expect(try store.put(victim) == .stored, "a good copy from a replica is accepted")
        #expect(try store.get(victim.id).frame == victim)
        // A second bad copy does not overwrite the first one in quarantine.
        try damage(store.chunkPath(victim.id), at: 10)
        #expect(throws: ReplicationError.self) { try store.get(victim.id) }
        #expect(directory.list("quarantine") == [victim.id.hex, victim.id.hex + ".1"])
    }

    @Test func scrubQuarantinesBadCopiesAndResumes() throws {
        let directory = TemporaryDirectory()
        let store = try ChunkStore(directory: directory.path, options: testStoreOptions)
        let chunks = frames(10, seed: 5, size: 2_000)
        for frame in chunks { try store.put(frame) }
        let bad = [chunks[2].id, chunks[7].id]
        for id in bad { try damage(store.chunkPath(id), at: ChunkFrame.headerSize + 5) }
        let gone = chunks[4].id
        try FileManager.default.removeItem(atPath: store.chunkPath(gone))
        var reports: [ChunkStore.ScrubReport] = []
        repeat { reports.append(try store.scrub(limit: 4)) } while !reports.last!.passCompleted && reports.count < 10
        #expect(reports.count == 3, "10 chunks, 4 per call")
        #expect(reports.reduce(0) { $0 + $1.checked } == 10)
        #expect(Set(reports.flatMap(\.corrupt)) == Set(bad))
        #expect(reports.flatMap(\.vanished) == [gone])
        #expect(directory.list("quarantine") == bad.map(\.hex).sorted())
        #expect(try store.totals().chunks == 7)
        let again = try store.scrub(limit: 100)
        #expect(again.checked == 7 && again.corrupt.isEmpty && again.passCompleted, "a new pass starts from the first chunk")
    }

    @Test func damagedFilesAreQuarantinedOnOpen() throws {
        let directory = TemporaryDirectory()
        let chunks = frames(4, seed: 6)
        var paths: [String] = []
        do {
            let store = try ChunkStore(directory: directory.path, options: testStoreOptions)
            for frame in chunks { try store.put(frame) }
            paths = chunks.map { store.chunkPath($0.id) }
        }
        try damage(paths[0], at: 30)  // header: its CRC fails
        let torn = try #require(FileHandle(forUpdatingAtPath: paths[1]))
        try torn.truncate(atOffset: UInt64(chunks[1].storedLength - 1))  // size disagrees with header
        try torn.close()
        // A file renamed to another chunk's name (header names a different id).
        let misnamed = paths[2].replacingOccurrences(of: chunks[2].id.hex, with: ChunkID(of: [5]).hex)
        try FileManager.default.moveItem(atPath: paths[2], toPath: misnamed)
        let store = try ChunkStore(directory: directory.path, options: testStoreOptions)
        #expect(try store.totals().chunks == 1)
        #expect(try store.contains(chunks[3].id))
        #expect(directory.list("quarantine").count == 3)
    }

    @Test func freeSpaceReserveRefusesAndLeavesNothing() throws {
        let directory = TemporaryDirectory()
        let store = try ChunkStore(directory: directory.path, options: ChunkStore.Options(reserveBytes: Int.max / 2))
        let frame = frames(1, seed: 7)[0]
        #expect {
            try store.put(frame)
        } throws: { error in
            guard case .insufficientSpace(_, let needed, _, let reserve) = error as? ReplicationError else { return false }
            return needed == frame.storedLength && reserve == Int.max / 2 && "\(error)".contains("resource exhausted")
        }
        #expect(try store.contains(frame.id) == false)
        #expect(directory.files(under: "chunks").isEmpty)
        #expect(directory.files(under: "tmp").isEmpty)
        #expect(try store.totals().chunks == 0)
    }

    @Test func refusesFramesThatAreNotTheirId() throws {
        let directory = TemporaryDirectory()
        let store = try ChunkStore(directory: directory.path, options: testStoreOptions)
        let frame = ChunkFrame(encoding: TestData.text(5_000, seed: 8))
        let impostor = ChunkID(of: [4, 2])
        let forged = try ChunkFrame(parsing: forgeFrame(frame.bytes, id: impostor))
        #expect(throws: ReplicationError.idMismatch(expected: impostor, actual: frame.id)) { try store.put(forged) }
        #expect(try store.contains(impostor) == false)
        #expect(directory.files(under: "chunks").isEmpty && directory.files(under: "tmp").isEmpty)
        let other = TemporaryDirectory()
        let small = try ChunkStore(directory: other.path,
                                   options: ChunkStore.Options(reserveBytes: 0, maxChunkBytes: 1_000))
        #expect(throws: ReplicationError.chunkTooLarge(length: 5_000, limit: 1_000)) { try small.put(frame) }
    }

    @Test func secondOpenerIsRefused() throws {
        let directory = TemporaryDirectory()
        let first = try ChunkStore(directory: directory.path, options: testStoreOptions)
        #expect {
            _ = try ChunkStore(directory: directory.path, options: testStoreOptions)
        } throws: { error in
            guard case .storeLocked(let path, let holder) = error as? ReplicationError else { return false }
            return path == directory.path && holder == String(getpid())
        }
        first.close()
        _ = try ChunkStore(directory: directory.path, options: testStoreOptions)
    }

    @Test func invalidOptionsAreRefused() {
        let directory = TemporaryDirectory()
        #expect(throws: ReplicationError.self) {
            _ = try ChunkStore(directory: directory.path, options: ChunkStore.Options(reserveBytes: -1))
        }
        #expect(throws: ReplicationError.self) {
            _ = try ChunkStore(directory: directory.path, options: ChunkStore.Options(maxChunkBytes: 0))
        }
    }

    /// Many threads putting, reading and deleting overlapping chunks: every call succeeds or fails
    /// cleanly, and the index agrees with the disk at the end.
    @Test func concurrentCallsKeepIndexAndDiskInStep() throws {
        let directory = TemporaryDirectory()
        let store = try ChunkStore(directory: directory.path, options: testStoreOptions)
        let chunks = frames(16, seed: 9, size: 3_000)
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            var generator = SplitMix64(seed: UInt64(worker))
            for _ in 0..<60 {
                let frame = chunks[Int(generator.next() % UInt64(chunks.count))]
                do throws(ReplicationError) {
                    switch generator.next() % 4 {
                    case 0, 1: try store.put(frame)
                    case 2:
                        do throws(ReplicationError) {
                            guard try store.get(frame.id).frame == frame else { failures.withLock { $0.append("wrong frame") }; return }
                        } catch .chunkNotFound {}
                    default: try store.delete(frame.id)
                    }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty)
        let held = try store.list(limit: 100).chunks.map(\.id)
        let onDisk = directory.files(under: "chunks").map { String($0.split(separator: "/").last!) }
        #expect(held.map(\.hex) == onDisk.sorted())
        #expect(directory.files(under: "tmp").isEmpty)
    }
}

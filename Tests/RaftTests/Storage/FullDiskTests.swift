import Foundation
import Glibc
import Testing
@testable import Raft

/// A tmpfs of a few MiB mounted over a fresh temporary directory, so that a test can fill it for real:
/// the kernel answers ENOSPC exactly as a full data disk would. Needs root (CI runs as root); the tests
/// that use it are disabled elsewhere, with the reason in their trait.
final class SmallFilesystem {
    let path: String
    private let temp: TemporaryDirectory

    /// Whether tmpfs can be mounted here (root, and mount(2) allowed).
    static let available: Bool = {
        guard geteuid() == 0, let probe = try? SmallFilesystem(bytes: 1 << 20) else { return false }
        _ = probe
        return true
    }()

    init(bytes: Int) throws {
        temp = try TemporaryDirectory()
        path = temp.child("fs")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        guard mount("tmpfs", path, "tmpfs", 0, "size=\(bytes)") == 0 else {
            throw RaftError.storage("mount tmpfs at \(path): \(String(cString: strerror(errno)))")
        }
    }

    deinit { umount2(path, Int32(MNT_DETACH)) }

    /// Writes a file `name` until the file system is full; returns its size.
    @discardableResult
    func fill(_ name: String = "fill") -> Int {
        let descriptor = open("\(path)/\(name)", O_WRONLY | O_CREAT | O_APPEND, 0o644)
        precondition(descriptor >= 0, "open fill file: \(String(cString: strerror(errno)))")
        defer { close(descriptor) }
        let block = [UInt8](repeating: 0xAB, count: 4096)
        var written = 0
        while true {
            let count = block.withUnsafeBytes { write(descriptor, $0.baseAddress!, $0.count) }
            if count <= 0 { return written }
            written += count
        }
    }

    /// Shrinks the fill file to `size` bytes (frees the rest).
    func shrink(_ name: String = "fill", to size: Int) {
        precondition(truncate("\(path)/\(name)", off_t(size)) == 0, "truncate: \(String(cString: strerror(errno)))")
    }

    func remove(_ name: String = "fill") {
        unlink("\(path)/\(name)")
    }

    /// The names in `directory` under the mount.
    func names(in directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "\(path)/\(directory)")) ?? []).sorted()
    }
}

extension StorageTests {
    /// A full disk refuses a batch with `.outOfSpace` and leaves the log as it was, so the same batch can
    /// be retried once space is freed, and nothing written before is lost.
    @Suite(.enabled(if: SmallFilesystem.available, "needs root to mount a small tmpfs"))
    struct FullDiskTests {
        @Test func aFullDiskRefusesTheBatchAndTheRetrySucceedsOnceSpaceIsFree() throws {
            let disk = try SmallFilesystem(bytes: 4 << 20)
            let data = "\(disk.path)/node"
            let before = makeEntries(1...20, term: 1, size: 100)
            let batch = makeEntries(21...30, term: 1, size: 3_000)
            do {
                let storage = try DiskStorage(directory: data, segmentBytes: 64 << 10)
                _ = try storage.load()
                try storage.persist(hardState: HardState(term: 1, vote: 1, commit: 20), entries: before, snapshot: nil)
                disk.fill()
                #expect(throws: RaftError.self) {
                    try storage.persist(hardState: HardState(term: 1, vote: 1, commit: 25), entries: batch, snapshot: nil)
                }
                // A page free: the frame gets partly written before ENOSPC, and must be cut off again.
                disk.shrink(to: max(0, try #require(Self.size(of: "\(disk.path)/fill")) - 4096))
                for _ in 0..<3 {
                    do {
                        try storage.persist(hardState: HardState(term: 1, vote: 1, commit: 25), entries: batch, snapshot: nil)
                        Issue.record("a 30 KB batch fitted in one free page")
                    } catch {
                        guard case .outOfSpace = error else {
                            Issue.record("expected outOfSpace, got \(error)")
                            return
                        }
                    }
                }
                // A snapshot refused for space leaves no temp file behind.
                #expect(throws: RaftError.self) { try storage.saveSnapshot(makeSnapshot(index: 10, term: 1, size: 200_000)) }
                #expect(disk.names(in: "node/snap").isEmpty)

                disk.remove()
                try storage.persist(hardState: HardState(term: 1, vote: 1, commit: 25), entries: batch, snapshot: nil)
                try storage.persist(hardState: nil, entries: makeEntries(31...31, term: 2), snapshot: nil)
            }
            let loaded = try DiskStorage(directory: data, segmentBytes: 64 << 10).load()
            #expect(loaded.hardState == HardState(term: 1, vote: 1, commit: 25))
            #expect(loaded.entries == before + batch + makeEntries(31...31, term: 2))
        }

        /// Refusals for space do not wear the log out: each is `.outOfSpace` again (never "failed earlier"),
        /// a new segment that could not take its first frame is left empty, and the log replays cleanly.
        @Test func repeatedRefusalsStayRetriable() throws {
            let disk = try SmallFilesystem(bytes: 1 << 20)
            let data = "\(disk.path)/node"
            do {
                let storage = try DiskStorage(directory: data, segmentBytes: 16 << 10)
                _ = try storage.load()
                try storage.persist(hardState: HardState(term: 1), entries: makeEntries(1...1, term: 1, size: 12_000), snapshot: nil)
                disk.fill()
                var errors: [RaftError] = []
                for _ in 0..<3 {
                    do {
                        // Past the segment size: each try rolls to a new segment first.
                        try storage.persist(hardState: nil, entries: makeEntries(2...2, term: 1, size: 8_192), snapshot: nil)
                    } catch {
                        errors.append(error)
                    }
                }
                #expect(errors.count == 3)
                #expect(errors.allSatisfy { if case .outOfSpace = $0 { true } else { false } }, "\(errors)")
                #expect(errors.first?.description.contains("free space and the node goes on") == true)
                disk.remove()
                try storage.persist(hardState: nil, entries: makeEntries(2...2, term: 1, size: 8_192), snapshot: nil)
            }
            #expect(try DiskStorage(directory: data, segmentBytes: 16 << 10).load().entries
                    == makeEntries(1...1, term: 1, size: 12_000) + makeEntries(2...2, term: 1, size: 8_192))
        }

        static func size(of path: String) -> Int? {
            (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
        }
    }
}

import Foundation
import Testing
@testable import Raft

/// Every storage suite nests in here, so `swift test --filter Storage` selects exactly them.
enum StorageTests {}

/// A fresh directory under the system temp directory, removed on deinit.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("raft-storage-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// A path inside this directory.
    func child(_ name: String) -> String { "\(path)/\(name)" }
}

/// Entries `indexes` at `term`, each with `size` bytes derived from its index.
func makeEntries(_ indexes: ClosedRange<UInt64>, term: UInt64, size: Int = 8) -> [Entry] {
    indexes.map { index in
        Entry(term: term, index: index, kind: .normal,
              data: (0..<size).map { UInt8(truncatingIfNeeded: Int(index) &* 31 &+ $0) })
    }
}

/// A snapshot at `index`/`term` with a small configuration and `size` bytes of data.
func makeSnapshot(index: UInt64, term: UInt64, size: Int = 32) -> Snapshot {
    Snapshot(metadata: SnapshotMetadata(index: index, term: term,
                                        configuration: Configuration(voters: [1, 2, 3], learners: [7])),
             data: (0..<size).map { UInt8(truncatingIfNeeded: $0 &+ Int(index)) })
}

/// Segment file paths in `<data>/log`, oldest first.
func segmentPaths(_ dataDirectory: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: "\(dataDirectory)/log")
        .filter { $0.hasSuffix(".seg") }.sorted().map { "\(dataDirectory)/log/\($0)" }
}

func fileSize(_ path: String) throws -> Int {
    (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? -1
}

func readBytes(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

func writeBytes(_ bytes: [UInt8], to path: String) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// The message of a `.corruptStorage` error, or nil for anything else.
func corruptionMessage(_ error: RaftError?) -> String? {
    if case .corruptStorage(let message)? = error { return message }
    return nil
}

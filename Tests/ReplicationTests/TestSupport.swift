import Foundation
@testable import Replication

/// Seeds for property tests. `REPL_SEED=n swift test --filter ReplicationTests` replays one seed exactly
/// (every failure message prints its seed); `REPL_SEEDS=a-b` runs a range.
enum Seeds {
    static func ci(_ count: UInt64) -> [UInt64] {
        let environment = ProcessInfo.processInfo.environment
        if let value = environment["REPL_SEED"], let seed = UInt64(value) { return [seed] }
        if let range = environment["REPL_SEEDS"]?.split(separator: "-"), range.count == 2,
           let low = UInt64(range[0]), let high = UInt64(range[1]), low <= high {
            return Array(low...high)
        }
        return Array(1...count)
    }
}

/// Deterministic test data.
enum TestData {
    /// `count` pseudo-random bytes from `seed` (incompressible).
    static func random(_ count: Int, seed: UInt64) -> [UInt8] {
        var generator = SplitMix64(seed: seed)
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var offset = 0
            while offset < count {
                let word = generator.next()
                withUnsafeBytes(of: word.littleEndian) { bytes in
                    for byte in bytes.prefix(count - offset) {
                        buffer[offset] = byte
                        offset += 1
                    }
                }
            }
            initialized = count
        }
    }

    /// `count` bytes of text-like data: words of a seeded 2,000-word vocabulary, drawn with a skewed
    /// (roughly Zipfian) frequency, separated by spaces and the odd newline. Compresses like prose.
    static func text(_ count: Int, seed: UInt64) -> [UInt8] {
        var generator = SplitMix64(seed: seed)
        let letters = Array("etaoinshrdlcumwfgypbvkjxqz".utf8)
        let vocabulary: [[UInt8]] = (0..<2_000).map { _ in
            let length = 2 + Int(generator.next() % 9)
            // Squaring skews toward common letters.
            return (0..<length).map { _ in
                let r = Double(generator.next() % 1_000) / 1_000
                return letters[Int(r * r * Double(letters.count))]
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count + 16)
        while bytes.count < count {
            let r = Double(generator.next() % 1_000_000) / 1_000_000
            bytes += vocabulary[Int(r * r * r * Double(vocabulary.count))]
            bytes.append(generator.next() % 12 == 0 ? 0x0A : 0x20)
        }
        return Array(bytes.prefix(count))
    }
}

/// A fresh directory under the system temp directory, removed when the test is done with it.
final class TemporaryDirectory {
    let path: String

    init(_ label: String = "chunkstore") {
        var template = Array("\(NSTemporaryDirectory())/repl-\(label)-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(created != nil, "mkdtemp failed: \(errno)")
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Names in `relative` (empty when it does not exist), sorted.
    func list(_ relative: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "\(path)/\(relative)")) ?? []).sorted()
    }

    /// Every regular file under `relative`, as paths relative to it, sorted.
    func files(under relative: String) -> [String] {
        let root = "\(path)/\(relative)"
        guard let enumerator = FileManager.default.enumerator(atPath: root) else { return [] }
        var result: [String] = []
        while let name = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: "\(root)/\(name)", isDirectory: &isDirectory), !isDirectory.boolValue {
                result.append(name)
            }
        }
        return result.sorted()
    }
}

extension ChunkID {
    /// An id from a seed, for tests that need many distinct ids without hashing data.
    static func random(_ generator: inout SplitMix64) -> ChunkID {
        var bytes: [UInt8] = []
        for _ in 0..<4 { withUnsafeBytes(of: generator.next()) { bytes += $0 } }
        return ChunkID(bytes: bytes)!
    }
}

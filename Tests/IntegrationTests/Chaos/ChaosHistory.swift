import Crypto
import Foundation
@testable import Linearizability
import Synchronization

/// What the chaos clients did and learned, shared by their tasks: every call on a key as an operation
/// for the linearizability checker, every acknowledged file version (to read back at the end), every
/// acknowledged branch, and the violations seen on the way (a read that returned bytes nobody wrote).
final class ChaosHistory: Sendable {
    /// A file version a put acknowledged: the commit it made and the bytes' SHA-256.
    struct AckedFile: Sendable {
        let key: String
        let value: String
        let commit: String
        let sha256: String
    }

    struct Counts: Sendable {
        var calls = 0
        var acknowledged = 0
        var unknown = 0
    }

    private struct State {
        var operations: [Linearizability.Operation] = []
        var files: [AckedFile] = []
        var branches: [String] = []
        var violations: [String] = []
        var counts = Counts()
    }
    private let state = Mutex(State())
    private let started = ContinuousClock.now

    /// Nanoseconds since the run started; the checker only compares their order.
    func now() -> UInt64 {
        let elapsed = ContinuousClock.now - started
        return UInt64(elapsed.components.seconds) * 1_000_000_000 + UInt64(elapsed.components.attoseconds / 1_000_000_000)
    }

    /// Records a finished call on `key`: `output` nil when its outcome is unknown.
    func record(client: Int, key: String, input: KVInput, output: KVOutput?, invoked: UInt64, returned: UInt64) {
        state.withLock { state in
            state.operations.append(Linearizability.Operation(
                id: state.operations.count, client: client, key: key, input: input, output: output,
                invoke: invoked, response: returned))
            state.counts.calls += 1
            if output == nil { state.counts.unknown += 1 } else { state.counts.acknowledged += 1 }
        }
    }

    func acknowledged(file: AckedFile) { state.withLock { $0.files.append(file) } }

    func acknowledged(branch: String) {
        state.withLock { state in
            state.branches.append(branch)
            state.counts.calls += 1
            state.counts.acknowledged += 1
        }
    }

    func branchCallFailed() {
        state.withLock { $0.counts.calls += 1; $0.counts.unknown += 1 }
    }

    func violation(_ text: String) { state.withLock { $0.violations.append(text) } }

    var operations: [Linearizability.Operation] { state.withLock { $0.operations } }
    var files: [AckedFile] { state.withLock { $0.files } }
    var branches: [String] { state.withLock { $0.branches } }
    var violations: [String] { state.withLock { $0.violations } }
    var counts: Counts { state.withLock { $0.counts } }
}

/// The bytes the chaos clients write for a value: its name on the first line, then a payload derived
/// from the name alone, so that any read can be checked against what the writer of that name wrote.
enum ChaosValue {
    static func bytes(_ value: String, size: Int) -> Data {
        var data = Data("\(value)\n".utf8)
        var random = SeededRandom(seed: fnv1a(value))
        data.reserveCapacity(data.count + size)
        var remaining = size
        while remaining > 0 {
            var word = random.next()
            let take = min(8, remaining)
            withUnsafeBytes(of: &word) { data.append(contentsOf: $0.prefix(take)) }
            remaining -= take
        }
        return data
    }

    /// The value named on the first line of `data`, if `data` is exactly what its writer wrote.
    static func verified(_ data: Data) -> (value: String, intact: Bool)? {
        guard let newline = data.firstIndex(of: 0x0A),
              let value = String(data: data[data.startIndex..<newline], encoding: .utf8)
        else { return nil }
        let size = data.count - (newline - data.startIndex) - 1
        return (value, bytes(value, size: size) == data)
    }

    static func sha256(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    private static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }
}

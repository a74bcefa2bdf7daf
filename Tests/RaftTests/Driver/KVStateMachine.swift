import Raft
import Synchronization

/// A tiny replicated key-value map for driver tests. A command is the UTF-8 text `key=value`; the answer
/// is the number of commands this machine has applied so far, so a test can tell a cached answer from a
/// second application.
final class KVStateMachine: StateMachine {
    struct State {
        var values: [String: String] = [:]
        var appliedIndex: UInt64 = 0
        var applyCount = 0
        /// How often each key was written, to check exactly-once.
        var writes: [String: Int] = [:]
        var restoreCount = 0
    }

    let state = Mutex(State())

    var appliedIndex: UInt64 { state.withLock { $0.appliedIndex } }
    var values: [String: String] { state.withLock { $0.values } }
    var restoreCount: Int { state.withLock { $0.restoreCount } }

    func writes(of key: String) -> Int {
        state.withLock { $0.writes[key] ?? 0 }
    }

    static func command(_ key: String, _ value: String) -> [UInt8] {
        Array("\(key)=\(value)".utf8)
    }

    func apply(_ entry: Entry) throws -> [UInt8] {
        let text = String(decoding: entry.data, as: UTF8.self)
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        return state.withLock { state in
            precondition(entry.index > state.appliedIndex, "apply \(entry.index) after \(state.appliedIndex)")
            if parts.count == 2 {
                state.values[parts[0]] = parts[1]
                state.writes[parts[0], default: 0] += 1
            }
            state.appliedIndex = entry.index
            state.applyCount += 1
            return Array("\(state.applyCount)".utf8)
        }
    }

    func markApplied(through index: UInt64) throws {
        state.withLock { $0.appliedIndex = max($0.appliedIndex, index) }
    }

    func snapshot() throws -> [UInt8] {
        state.withLock { state in
            let lines = state.values.keys.sorted().map { "\($0)=\(state.values[$0]!)" }
            return Array((["\(state.applyCount)"] + lines).joined(separator: "\n").utf8)
        }
    }

    func restore(_ snapshot: Snapshot) throws {
        let lines = String(decoding: snapshot.data, as: UTF8.self).split(separator: "\n").map(String.init)
        state.withLock { state in
            state.applyCount = Int(lines.first ?? "0") ?? 0
            state.values = [:]
            for line in lines.dropFirst() {
                let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
                if parts.count == 2 { state.values[parts[0]] = parts[1] }
            }
            state.appliedIndex = snapshot.metadata.index
            state.restoreCount += 1
        }
    }
}

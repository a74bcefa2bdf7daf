import Raft
import Synchronization

/// The trivial state machine of the benchmark: it counts applied entries and bytes, so the figures
/// measure Raft, the log and the driver rather than the application.
final class CounterMachine: StateMachine {
    private struct State {
        var appliedIndex: UInt64 = 0
        var entries: UInt64 = 0
        var bytes: UInt64 = 0
    }

    private let state = Mutex(State())

    var appliedIndex: UInt64 { state.withLock { $0.appliedIndex } }

    func apply(_ entry: Entry) throws -> [UInt8] {
        state.withLock { state in
            state.appliedIndex = entry.index
            state.entries += 1
            state.bytes += UInt64(entry.data.count)
        }
        return []
    }

    func markApplied(through index: UInt64) throws {
        state.withLock { $0.appliedIndex = max($0.appliedIndex, index) }
    }

    func snapshot() throws -> [UInt8] {
        state.withLock { state in
            var bytes: [UInt8] = []
            for value in [state.entries, state.bytes] {
                withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
            }
            return bytes
        }
    }

    func restore(_ snapshot: Snapshot) throws {
        let data = snapshot.data
        func read(_ offset: Int) -> UInt64 {
            guard data.count >= offset + 8 else { return 0 }
            return (0..<8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64(data[offset + $1]) }
        }
        state.withLock { state in
            state.entries = read(0)
            state.bytes = read(8)
            state.appliedIndex = snapshot.metadata.index
        }
    }
}

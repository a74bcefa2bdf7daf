@testable import Linearizability
/// Generates key-value histories that are linearizable by construction, for property tests of the
/// checker.
///
/// Each call gets a linearization point inside its invoke–response window; the calls are then run
/// through `KVRegister` in the order of those points, and each completed call records what the register
/// answered. That is a real sequential execution, so the history must pass. Clients issue one call at a
/// time, like the simulation's clients, but windows of different clients overlap freely.
struct RandomKVHistory {
    /// The shape of a generated history.
    struct Shape: Sendable, CustomStringConvertible {
        var operations: Int
        var keys: Int
        var clients: Int
        /// Largest gap, in ticks, between an invoke and the linearization point and between that point
        /// and the response. Wider windows mean more concurrency.
        var windowTicksMax: UInt64
        /// Chance, in percent, that a call times out or its client crashes, leaving its outcome unknown.
        var unknownPercent: Int

        var description: String {
            "\(operations) ops, \(keys) keys, \(clients) clients, window \(windowTicksMax), "
                + "\(unknownPercent)% unknown"
        }
    }

    /// A call before its output is known, with the tick it takes effect at (nil: it never does).
    private struct Planned {
        var operation: Operation
        var effectTick: UInt64?
    }

    /// Where a client stands: the tick it may next invoke at, and whether it crashed.
    private struct Client {
        var freeAt: UInt64 = 0
        var crashed = false
    }

    private var random: SeededRandom
    private let shape: Shape
    private var clients: [Client]
    private var valuesWritten = 0
    /// Values written to each key so far, newest last; a cas expects one of the latest.
    private var writtenByKey: [String: [String]] = [:]

    private init(seed: UInt64, shape: Shape) {
        precondition(shape.keys > 0 && shape.clients > 0, "a history needs keys and clients: \(shape)")
        random = SeededRandom(seed: seed)
        self.shape = shape
        clients = Array(repeating: Client(), count: shape.clients)
    }

    /// A linearizable history of `shape`, the same for the same seed.
    static func generate(seed: UInt64, shape: Shape) -> [Operation] {
        var generator = RandomKVHistory(seed: seed, shape: shape)
        let planned = (0..<shape.operations).map { generator.plan(id: $0) }
        return execute(planned)
    }

    /// A copy of `history` in which one completed get, chosen by `seed`, returns a value nobody wrote:
    /// no order can explain it. Returns nil when the history has no completed get.
    static func corruptingOneRead(
        of history: [Operation],
        seed: UInt64
    ) -> (history: [Operation], victim: Operation)? {
        let reads = history.indices.filter { history[$0].isCompleted && history[$0].input == .get }
        guard !reads.isEmpty else { return nil }
        var random = SeededRandom(seed: seed)
        let victim = reads[Int(random.next() % UInt64(reads.count))]
        var corrupted = history
        corrupted[victim].output = .value("never-written")
        return (corrupted, corrupted[victim])
    }

    /// Runs the planned calls through one register per key in the order they take effect, and records
    /// the answers of the calls whose clients heard back.
    private static func execute(_ planned: [Planned]) -> [Operation] {
        var registers: [String: KVRegister] = [:]
        var history = planned.map(\.operation)
        let effective = planned.filter { $0.effectTick != nil }.sorted {
            ($0.effectTick ?? 0, $0.operation.id) < ($1.effectTick ?? 0, $1.operation.id)
        }
        for call in effective {
            let key = call.operation.key
            let (next, output) = registers[key, default: KVRegister()].applying(call.operation.input)
            registers[key] = next
            if history[call.operation.id].response != nil && history[call.operation.id].output != nil {
                history[call.operation.id].output = output
            }
        }
        return history
    }

    /// Picks a client, a key, a request and the call's timing.
    private mutating func plan(id: Int) -> Planned {
        let alive = clients.indices.filter { !clients[$0].crashed }
        let client = alive[Int(random.next() % UInt64(alive.count))]
        let key = "k\(random.next() % UInt64(shape.keys))"
        let invoke = clients[client].freeAt + random.next() % 4
        let effect = invoke + random.next() % (shape.windowTicksMax + 1)
        let response = effect + random.next() % (shape.windowTicksMax + 1)
        var operation = Operation(
            id: id, client: client, key: key, input: nextInput(key: key), output: .ok, invoke: invoke, response: response
        )
        guard Int(random.next() % 100) < shape.unknownPercent else {
            clients[client].freeAt = response + 1
            return Planned(operation: operation, effectTick: effect)
        }
        // Unknown outcome: the call may land late, after its timeout, or never.
        operation.output = nil
        let lateEffect = invoke + random.next() % (4 * shape.windowTicksMax + 1)
        if alive.count > 1 && random.next() % 4 == 0 {
            operation.response = nil
            clients[client].crashed = true
        } else {
            clients[client].freeAt = response + 1
        }
        return Planned(operation: operation, effectTick: random.next() % 2 == 0 ? lateEffect : nil)
    }

    /// A random request. Writes use fresh values so a corrupted read is always detectable, and a cas
    /// expects one of the key's latest values, or absence, so that it often succeeds.
    private mutating func nextInput(key: String) -> KVInput {
        switch random.next() % 10 {
        case 0..<4:
            return .get
        case 4..<7:
            return .put(freshValue(key: key))
        case 7..<9:
            let recent = writtenByKey[key, default: []].suffix(3)
            let pick = Int(random.next() % UInt64(recent.count + 1))
            let expected = pick < recent.count ? recent[recent.startIndex + pick] : nil
            return .cas(expected: expected, new: freshValue(key: key))
        default:
            return .delete
        }
    }

    private mutating func freshValue(key: String) -> String {
        valuesWritten += 1
        let value = "v\(valuesWritten)"
        writtenByKey[key, default: []].append(value)
        return value
    }
}

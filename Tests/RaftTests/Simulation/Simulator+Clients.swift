@testable import Raft
@testable import Linearizability

/// What a simulated client call returned.
enum SimOutput: Equatable {
    case ok
    case cas(Bool)
    case value(String?)
}

/// One client call as the history records it.
struct SimOperation {
    enum Kind: Equatable {
        case get
        case put(String)
        case cas(expected: String?, new: String)
    }

    var client: Int
    var key: String
    var kind: Kind
    var invoke: UInt64
    /// nil: the outcome is unknown (timed out after it may have been accepted).
    var output: SimOutput?
    var response: UInt64?
    /// The call certainly had no effect (a read that got no answer, a write no node accepted).
    var dropped = false
}

/// Every client call of a run, for the linearizability checker and the durability checks.
struct SimHistory {
    var operations: [SimOperation] = []
    /// Writes acknowledged to a client: each MUST end up applied exactly once on every member.
    var acknowledged: [SimClientKey] = []
    var acknowledgedAfterSettle = 0
}

struct SimPendingRead {
    var client: Int
    var operation: Int
    var key: String
    var index: UInt64?
}

/// A client with at most one call outstanding; writes are retried (same client id and sequence, so the
/// state machine applies them once) on other nodes until they succeed or the client gives up.
struct SimClient {
    let id: Int
    var sequence: UInt64 = 0
    /// Index in `SimHistory.operations` of the call in progress, or -1.
    var operation = -1
    var command: SimCommand?
    var attempt = 0
    var accepted = false

    init(id: Int) {
        self.id = id
    }
}

extension SimHistory {
    /// The calls in the linearizability checker's terms; calls that certainly had no effect are left out.
    var checkerOperations: [Operation] {
        operations.enumerated().compactMap { id, call in
            guard !call.dropped else { return nil }
            let input: KVInput
            switch call.kind {
            case .get: input = .get
            case .put(let value): input = .put(value)
            case .cas(let expected, let new): input = .cas(expected: expected, new: new)
            }
            let output: KVOutput?
            switch call.output {
            case nil: output = nil
            case .ok: output = .ok
            case .cas(let succeeded): output = .casResult(succeeded)
            case .value(let value): output = .value(value)
            }
            return Operation(id: id, client: call.client, key: call.key, input: input, output: output,
                             invoke: call.invoke, response: output == nil ? nil : call.response)
        }
    }
}

extension Simulator {
    static let writeTimeoutMs: UInt64 = 400
    static let maxWriteAttempts = 5

    mutating func startClientOperation(_ client: Int) {
        guard clientsOn else { return }
        let key = "k\(randomInt(UInt64(options.keys)))"
        let roll = randomInt(100)
        var kind = SimOperation.Kind.get
        if roll < 40 {
            kind = .put("c\(client)v\(clients[client].sequence + 1)")
        } else if roll < 55 {
            let expected: String? = chance(30) ? nil : "c\(randomInt(UInt64(options.clients)))v\(randomInt(8))"
            kind = .cas(expected: expected, new: "c\(client)v\(clients[client].sequence + 1)")
        }
        let operation = history.operations.count
        history.operations.append(SimOperation(client: client, key: key, kind: kind, invoke: now))
        clients[client].operation = operation
        clients[client].attempt = 0
        clients[client].accepted = false
        switch kind {
        case .get:
            clients[client].command = nil
            tryRead(client, key: key)
        case .put(let value):
            clients[client].sequence += 1
            clients[client].command = SimCommand(client: UInt64(client) + 1, sequence: clients[client].sequence,
                                                 op: .put(key: key, value: value))
            tryWrite(client)
        case .cas(let expected, let new):
            clients[client].sequence += 1
            clients[client].command = SimCommand(client: UInt64(client) + 1, sequence: clients[client].sequence,
                                                 op: .cas(key: key, expected: expected, new: new))
            tryWrite(client)
        }
    }

    mutating func randomUpNode() -> NodeID? {
        let up = nodeIDs.filter { nodes[$0]!.isUp && nodes[$0]!.started }
        guard !up.isEmpty else { return nil }
        return up[Int(randomInt(UInt64(up.count)))]
    }

    mutating func tryWrite(_ client: Int) {
        guard let command = clients[client].command else { return }
        let attempt = clients[client].attempt
        events.schedule(.clientTimeout(client, attempt: attempt), at: now + Self.writeTimeoutMs)
        guard let id = randomUpNode(), var node = nodes[id], !node.paused else { return }
        do {
            try node.core!.propose(command.encoded)
            clients[client].accepted = true
            node.pendingWrites[SimClientKey(client: command.client, sequence: command.sequence)] = client
        } catch {
            // Not appended by this attempt; the timeout retries elsewhere.
        }
        nodes[id] = node
        trace.record("\(now) write c\(client) s\(command.sequence) via \(id) try \(attempt)")
        afterEvent(id)
    }

    mutating func tryRead(_ client: Int, key: String) {
        events.schedule(.clientTimeout(client, attempt: 0), at: now + Self.writeTimeoutMs)
        guard let id = randomUpNode(), var node = nodes[id], !node.paused else { return }
        let operation = clients[client].operation
        if options.unsafeLocalReads {
            completeClient(client, output: .value(node.kv.values[key]))
            return
        }
        let context = Array("r\(client).\(operation)".utf8)
        do {
            try node.core!.readIndex(context: context)
            node.pendingReads[context] = SimPendingRead(client: client, operation: operation, key: key)
        } catch {
            // No leader known: the read fails without effect.
        }
        nodes[id] = node
        trace.record("\(now) read c\(client) \(key) via \(id)")
        afterEvent(id)
    }

    mutating func clientTimedOut(_ client: Int, attempt: Int) {
        guard clients[client].operation >= 0, clients[client].attempt == attempt else { return }
        if clients[client].command != nil && attempt + 1 < Self.maxWriteAttempts {
            clients[client].attempt += 1
            tryWrite(client)
            return
        }
        // Give up. A read, or a write never accepted anywhere, had no effect; otherwise the outcome is
        // unknown and the checker may place it anywhere after its invocation, or nowhere.
        let operation = clients[client].operation
        if clients[client].command == nil || !clients[client].accepted {
            history.operations[operation].dropped = true
        }
        finishClient(client)
    }

    /// Completes the client's call; `write` names the command applied, which must be the one in progress.
    mutating func completeClient(_ client: Int, output: SimOutput, write: SimClientKey? = nil) {
        let operation = clients[client].operation
        guard operation >= 0 else { return }
        if let write {
            guard let command = clients[client].command,
                  command.client == write.client, command.sequence == write.sequence else { return }
        }
        history.operations[operation].output = output
        history.operations[operation].response = now
        if let command = clients[client].command {
            history.acknowledged.append(SimClientKey(client: command.client, sequence: command.sequence))
            if !faultsOn { history.acknowledgedAfterSettle += 1 }
        }
        trace.record("\(now) done c\(client) op \(operation)")
        finishClient(client)
    }

    mutating func finishClient(_ client: Int) {
        clients[client].operation = -1
        clients[client].command = nil
        clients[client].attempt = Int.max / 2  // stale timeouts no longer match
        events.schedule(.clientStart(client), at: now + 1 + randomInt(20))
    }
}

@testable import Raft

/// The application side of a simulated node: snapshots, applying, answering clients.
extension Simulator {
    mutating func apply(_ id: NodeID, _ ready: Ready) {
        guard var node = nodes[id] else { return }
        if let snapshot = ready.snapshot {
            checker.observeSnapshotRestore(node: id, metadata: snapshot.metadata, at: now)
            node.kv = SimKV.restore(snapshot)
            trace.record("\(now) restore \(id) at \(snapshot.metadata.index)")
        }
        var completed: [(client: Int, output: SimOutput, write: SimClientKey?)] = []
        for entry in ready.committedEntries {
            checker.observeApply(node: id, entry: entry, at: now)
            guard let outcome = node.kv.apply(entry) else { continue }
            let key = SimClientKey(client: outcome.command.client, sequence: outcome.command.sequence)
            if let client = node.pendingWrites.removeValue(forKey: key) {
                let output: SimOutput
                switch outcome.command.op {
                case .put: output = .ok
                case .cas: output = .cas(outcome.result)
                }
                completed.append((client, output, key))
            }
        }
        for state in ready.readStates where node.pendingReads[state.context] != nil {
            node.pendingReads[state.context]?.index = state.index
        }
        completed.append(contentsOf: servableReads(&node).map { ($0.client, $0.output, nil) })
        maybeSnapshot(&node)
        nodes[id] = node
        for done in completed { completeClient(done.client, output: done.output, write: done.write) }
    }

    /// Reads whose read point the state machine has reached.
    func servableReads(_ node: inout SimNode) -> [(client: Int, output: SimOutput)] {
        var served: [(Int, SimOutput)] = []
        for (context, pending) in node.pendingReads.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            guard let index = pending.index, index <= node.kv.appliedIndex else { continue }
            node.pendingReads[context] = nil
            guard clients[pending.client].operation == pending.operation else { continue }
            served.append((pending.client, .value(node.kv.values[pending.key])))
        }
        return served
    }

    mutating func maybeSnapshot(_ node: inout SimNode) {
        guard var core = node.core else { return }
        let index = node.kv.appliedIndex
        guard index >= core.log.snapshotIndex + options.snapshotEvery, let term = core.log.term(at: index) else { return }
        let metadata = SnapshotMetadata(index: index, term: term, configuration: core.log.configuration(at: index))
        let snapshot = Snapshot(metadata: metadata, data: node.kv.snapshotData())
        node.disk.compact(snapshot)
        do {
            try core.compact(snapshot)
        } catch {
            checker.fail("node \(node.id) could not compact at \(index): \(error)", at: now)
        }
        node.core = core
        trace.record("\(now) snapshot \(node.id) at \(index)")
    }
}

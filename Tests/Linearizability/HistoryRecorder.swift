/// Collects the client calls of a simulation run into a history for `LinearizabilityChecker`.
///
/// A value type because the simulator is one plain loop that owns it; nothing shares it across tasks.
/// Calls that are invoked but never completed stay in the history with an unknown outcome, which is
/// exactly how the checker must treat a client that crashed or gave up mid-call.
struct HistoryRecorder: Sendable {
    /// Every call invoked so far, indexed by id.
    private(set) var operations: [Operation] = []

    init() {}

    /// Records that `client` sent `input` for `key` at time `at`.
    ///
    /// - Returns: the id to pass to `complete(id:output:at:)` when the call returns.
    mutating func invoke(client: Int, key: String, input: KVInput, at time: UInt64) -> Int {
        let id = operations.count
        operations.append(Operation(
            id: id, client: client, key: key, input: input, output: nil, invoke: time, response: nil
        ))
        return id
    }

    /// Records that call `id` returned at time `at`.
    ///
    /// Pass `output: nil` when the client learned nothing (a timeout): the call then may or may not have
    /// taken effect, and the checker treats it that way. A call MUST NOT be completed twice, nor before
    /// its invoke; both are simulator bugs, not store bugs, so they stop the run.
    mutating func complete(id: Int, output: KVOutput?, at time: UInt64) {
        precondition(operations.indices.contains(id), "complete: unknown operation id \(id)")
        let operation = operations[id]
        precondition(operation.response == nil, "complete: \(operation) already completed")
        precondition(time >= operation.invoke, "complete at \(time) precedes invoke of \(operation)")
        if let output {
            precondition(operation.input.accepts(output), "complete: \(output) cannot answer \(operation)")
        }
        operations[id].output = output
        operations[id].response = time
    }
}

import GRPCCore
import Synchronization

/// Makes a handler give up on a slow backend call when its RPC ends: the client's deadline passed (the
/// server cancels the RPC then) or the client went away.
///
/// Why a race and not plain task cancellation: `RaftNode` requests wait on a continuation that ignores
/// cancellation and end only by their own request timeout, and a structured child task would hold the
/// handler until then. So the backend call runs in its own task, and whichever comes first, its outcome
/// or the RPC's end, answers the handler; the loser is cancelled and its outcome dropped. A dropped
/// write may still apply: the error says so, and a retry with the same session applies it once.
enum CallDeadline {
    /// Runs `operation` until it finishes or the RPC ends, whichever is first.
    /// `hasDeadline` picks the status when the RPC ends first: DEADLINE_EXCEEDED, else CANCELLED.
    static func run<T: Sendable>(
        _ context: ServerContext, hasDeadline: Bool,
        _ operation: @escaping @Sendable () async throws(RPCError) -> T
    ) async throws(RPCError) -> T {
        let race = Race<T>()
        let ended = hasDeadline
            ? RPCError(code: .deadlineExceeded, message: "the deadline passed before the cluster answered; "
                       + "a write may still apply (a retry with the same session applies it once)")
            : RPCError(code: .cancelled, message: "the call was cancelled")
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, RPCError>, Never>) in
                race.install(continuation)
                let work = Task {
                    do throws(RPCError) {
                        race.finish(.success(try await operation()))
                    } catch {
                        race.finish(.failure(error))
                    }
                }
                let watch = Task {
                    // Throws only when this watcher is cancelled, i.e. the operation already finished.
                    guard (try? await context.cancellation.cancelled) != nil else { return }
                    race.finish(.failure(ended))
                }
                race.track([work, watch])
            }
        } onCancel: {
            race.finish(.failure(ended))
        }
        return try result.get()
    }

    /// Whichever outcome arrives first resumes the waiting handler, once; then every task is cancelled.
    private final class Race<T: Sendable>: Sendable {
        typealias Continuation = CheckedContinuation<Result<T, RPCError>, Never>

        private struct State {
            var continuation: Continuation?
            var outcome: Result<T, RPCError>?
            var tasks: [Task<Void, Never>] = []
        }

        private let state = Mutex(State())

        /// Stores the continuation, or resumes it at once when an outcome already came (a cancellation
        /// may arrive before the continuation exists).
        func install(_ continuation: Continuation) {
            let outcome = state.withLock { state in
                if state.outcome == nil { state.continuation = continuation }
                return state.outcome
            }
            if let outcome { continuation.resume(returning: outcome) }
        }

        /// Remembers the tasks to cancel when the race ends; cancels them now if it already has.
        func track(_ tasks: [Task<Void, Never>]) {
            let finished = state.withLock { state in
                state.tasks += tasks
                return state.outcome != nil
            }
            if finished { tasks.forEach { $0.cancel() } }
        }

        /// The first call wins; later ones are ignored.
        func finish(_ outcome: Result<T, RPCError>) {
            let winner = state.withLock { state -> (Continuation?, [Task<Void, Never>])? in
                guard state.outcome == nil else { return nil }
                state.outcome = outcome
                defer {
                    state.continuation = nil
                    state.tasks = []
                }
                return (state.continuation, state.tasks)
            }
            guard let (continuation, tasks) = winner else { return }
            continuation?.resume(returning: outcome)
            tasks.forEach { $0.cancel() }
        }
    }
}

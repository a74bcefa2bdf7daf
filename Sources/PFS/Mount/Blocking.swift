import Foundation

/// Runs async work from a thread that may block (a FUSE thread), waiting for its result.
enum Blocking {
    private final class Box<T>: @unchecked Sendable {
        var result: Result<T, any Error>?
    }

    /// The result of `body`, run as a task while the calling thread waits. Never call it from a Swift
    /// concurrency thread: it would hold that thread for the whole call.
    static func run<T>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let box = Box<T>()
        let done = DispatchSemaphore(value: 0)
        Task {
            do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
            done.signal()
        }
        done.wait()
        return try box.result!.get()
    }
}

import Dispatch

/// A serial queue on its own thread for work that blocks (fsync, SQLite). Swift's cooperative pool has
/// one thread per core; blocking one of them stalls unrelated tasks, so the driver never does.
///
/// Queues made with `DispatchQueue(label:)` run on Dispatch's overcommitting pool, which starts another
/// thread when one blocks, unlike the cooperative pool.
struct BlockingQueue: Sendable {
    let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label, qos: .userInitiated)
    }

    /// Runs `work` on the queue and waits for it without holding a cooperative thread.
    func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: work()) }
        }
    }

    /// Runs `work` on the queue after everything queued before it; does not wait.
    func enqueue(_ work: @escaping @Sendable () -> Void) {
        queue.async(execute: work)
    }
}

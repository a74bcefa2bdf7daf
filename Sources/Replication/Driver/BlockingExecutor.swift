import Glibc
import Synchronization

/// A fixed set of dedicated threads (not Swift's cooperative pool) that run blocking closures, chiefly
/// `ChunkStore` calls, which wait on fsync for milliseconds at a time.
///
/// Why not the cooperative pool: it has one thread per core, so a handful of tasks blocked in fsync stall
/// every other task of the process (Raft heartbeats, gRPC). Why not Dispatch: its pool starts threads
/// without bound when they block; here the number of threads, and so the number of concurrent disk
/// operations, is a configuration value.
///
/// Work is taken in arrival order by whichever thread is free. At most `queueLimit` closures wait for a
/// thread; callers beyond that wait, suspended, in arrival order, until there is room (backpressure: no
/// closure is dropped or rejected, and no cooperative thread blocks).
///
/// `shutdown()` lets the threads finish everything already submitted, then stop. A closure submitted after
/// `shutdown()` (a request racing with node shutdown) still runs, on a one-off thread of its own, so a
/// late caller is neither lost nor able to block a cooperative thread.
public final class BlockingExecutor: Sendable {
    /// The executor's shared state; the threads hold it, not the executor, so `deinit` can stop them.
    private let core: Core

    /// Starts `threads` threads named after `label` (Linux shows the first 15 bytes, e.g. in `top -H`).
    ///
    /// - Parameters:
    ///   - threads: how many closures run at once; at least 1.
    ///   - queueLimit: how many closures may wait for a thread before callers wait to submit; at least 1.
    public init(threads: Int, label: String, queueLimit: Int = 1024) {
        precondition(threads >= 1, "a blocking executor needs at least one thread, got \(threads)")
        precondition(queueLimit >= 1, "queueLimit \(queueLimit) must be at least 1")
        core = Core(label: label, queueLimit: queueLimit, threads: threads)
        for index in 0..<threads {
            let core = self.core
            Self.spawnThread(name: "\(label)-\(index)") { core.workLoop() }
        }
    }

    deinit {
        core.shutdown()
    }

    /// Runs `body` on one of the executor's threads and returns what it returned or threw, suspending the
    /// caller (not blocking its thread) meanwhile.
    ///
    /// Cancelling the calling task does not stop `body`: a blocking call cannot be interrupted, and a
    /// caller that stopped waiting would not learn whether a write happened.
    public func run<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        let result: Result<T, E> = await withCheckedContinuation { continuation in
            let job: Job = {
                let result: Result<T, E>
                do throws(E) {
                    result = .success(try body())
                } catch {
                    result = .failure(error)
                }
                continuation.resume(returning: result)
            }
            if !core.submit(job) {
                Self.spawnThread(name: "\(core.label)-late", body: job)
            }
        }
        return try result.get()
    }

    /// Stops taking work onto the threads: they finish every closure submitted so far (those waiting
    /// for room included), then exit. Returns at once; `awaitTermination()` waits for the threads.
    public func shutdown() {
        core.shutdown()
    }

    /// Shuts down (see `shutdown()`) and waits until every thread has finished its work and exited.
    public func awaitTermination() async {
        core.shutdown()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            core.onTermination { continuation.resume() }
        }
    }

    /// Counters for tests and metrics.
    struct Statistics: Sendable, Equatable {
        /// Closures run to completion on the executor's threads.
        var completed = 0
        /// The most closures ever queued for the threads at once (never above `queueLimit`).
        var maxQueued = 0
        /// The most callers ever waiting for room in the queue at once.
        var maxWaitingForRoom = 0
        /// Threads still running.
        var liveThreads = 0
        /// Closures queued for the threads now.
        var queued = 0
        /// Callers waiting for room now.
        var waitingForRoom = 0
    }

    /// A snapshot of the counters.
    var statistics: Statistics {
        core.state.withLock { state in
            var statistics = state.statistics
            statistics.queued = state.queue.count
            statistics.waitingForRoom = state.waitingForRoom.count
            return statistics
        }
    }

    typealias Job = @Sendable () -> Void

    /// Starts a detached thread that runs `body` once.
    static func spawnThread(name: String, body: @escaping @Sendable () -> Void) {
        let start = Unmanaged.passRetained(ThreadStart(name: name, body: body)).toOpaque()
        var thread = pthread_t()
        let code = pthread_create(&thread, nil, { context in
            let start = Unmanaged<ThreadStart>.fromOpaque(context!).takeRetainedValue()
            setCurrentThreadName(start.name)
            start.body()
            return nil
        }, start)
        precondition(code == 0, "pthread_create for \(name) failed: \(String(cString: strerror(code)))")
        pthread_detach(thread)
    }
}

/// Names the calling thread (shown by `top -H`, gdb and /proc), truncated to Linux's 15 bytes.
/// `pthread_setname_np` is a GNU extension Glibc's module does not export, hence the lookup.
private func setCurrentThreadName(_ name: String) {
    typealias SetName = @convention(c) (pthread_t, UnsafePointer<CChar>) -> Int32
    guard let symbol = dlsym(nil, "pthread_setname_np") else { return }
    let setName = unsafeBitCast(symbol, to: SetName.self)
    _ = String(decoding: name.utf8.prefix(15), as: UTF8.self).withCString { setName(pthread_self(), $0) }
}

extension BlockingExecutor {
    /// What a new thread runs, handed over through pthread_create's context pointer.
    private final class ThreadStart: Sendable {
        let name: String
        let body: @Sendable () -> Void

        init(name: String, body: @escaping @Sendable () -> Void) {
            self.name = name
            self.body = body
        }
    }

    struct State {
        /// Closures waiting for a thread, oldest first (at most `queueLimit`).
        var queue: [Job] = []
        /// Closures whose callers found the queue full, oldest first; moved into `queue` as it drains.
        var waitingForRoom: [Job] = []
        var shuttingDown = false
        /// Called once the last thread exits.
        var terminationHandlers: [@Sendable () -> Void] = []
        var statistics = Statistics()
    }

    /// The state the threads share with the executor: a mutex over the queues and a counting semaphore
    /// with one token per queued closure, plus one per thread once shutting down.
    final class Core: Sendable {
        let label: String
        let queueLimit: Int
        let state: Mutex<State>
        /// Immutable after init; sem_t is thread-safe by contract.
        nonisolated(unsafe) let semaphore: UnsafeMutablePointer<sem_t>

        init(label: String, queueLimit: Int, threads: Int) {
            self.label = label
            self.queueLimit = queueLimit
            var initial = State()
            initial.statistics.liveThreads = threads
            state = Mutex(initial)
            semaphore = .allocate(capacity: 1)
            sem_init(semaphore, 0, 0)
        }

        deinit {
            sem_destroy(semaphore)
            semaphore.deallocate()
        }

        /// Queues `job` for the threads; false after shutdown (the caller runs it elsewhere).
        func submit(_ job: @escaping Job) -> Bool {
            let queued = state.withLock { state -> Bool? in
                guard !state.shuttingDown else { return nil }
                guard state.queue.count < queueLimit else {
                    state.waitingForRoom.append(job)
                    state.statistics.maxWaitingForRoom = max(state.statistics.maxWaitingForRoom, state.waitingForRoom.count)
                    return false
                }
                state.queue.append(job)
                state.statistics.maxQueued = max(state.statistics.maxQueued, state.queue.count)
                return true
            }
            guard let queued else { return false }
            // A closure waiting for room gets its token when a thread moves it into the queue.
            if queued { sem_post(semaphore) }
            return true
        }

        func shutdown() {
            let threads = state.withLock { state -> Int in
                guard !state.shuttingDown else { return 0 }
                state.shuttingDown = true
                return state.statistics.liveThreads
            }
            // One extra token per thread: a thread that takes a token and finds no work exits.
            for _ in 0..<threads { sem_post(semaphore) }
        }

        func onTermination(_ handler: @escaping @Sendable () -> Void) {
            let done = state.withLock { state -> Bool in
                guard state.statistics.liveThreads > 0 else { return true }
                state.terminationHandlers.append(handler)
                return false
            }
            if done { handler() }
        }

        /// A thread's life: take a token, run the oldest closure, until a token comes with no work.
        ///
        /// Every queued closure has a token posted after it was queued, and a thread exits only on a token
        /// that finds the queue empty, so nothing queued is left behind: a closure moved in from
        /// `waitingForRoom` is moved by a running thread, which loops back and finds it.
        func workLoop() {
            while true {
                while sem_wait(semaphore) != 0 {}  // EINTR: wait again
                let next = state.withLock { state -> (job: Job?, admitted: Bool) in
                    guard !state.queue.isEmpty else { return (nil, false) }
                    let job = state.queue.removeFirst()
                    guard !state.waitingForRoom.isEmpty else { return (job, false) }
                    state.queue.append(state.waitingForRoom.removeFirst())
                    return (job, true)
                }
                if next.admitted { sem_post(semaphore) }
                guard let job = next.job else { break }
                job()
                state.withLock { $0.statistics.completed += 1 }
            }
            let handlers = state.withLock { state -> [@Sendable () -> Void] in
                state.statistics.liveThreads -= 1
                guard state.statistics.liveThreads == 0 else { return [] }
                defer { state.terminationHandlers = [] }
                return state.terminationHandlers
            }
            for handler in handlers { handler() }
        }
    }
}

import Foundation
import Synchronization
import Testing
@testable import Replication

/// Runs `body` on a new dedicated thread and waits for it without holding a cooperative thread: for
/// test work that is CPU-heavy (hashing, compressing test data) or blocks (store calls, fsync), which on
/// a 2-core machine would otherwise starve other tests' tasks and timers.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

/// The name of the calling thread, as Linux has it.
func currentThreadName() -> String {
    ((try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "")
        .trimmingCharacters(in: .whitespacesAndNewlines)
}

/// Virtual time for `PacingClock`: `sleep` returns at once and moves the time to the end of the sleep
/// (sleeps that overlap end at the latest one's end, as on a real clock), so pacing is tested exactly and
/// without waiting.
final class VirtualTime: Sendable {
    private let state = Mutex((now: Duration.zero, sleeps: 0))

    var now: Duration { state.withLock { $0.now } }
    var sleeps: Int { state.withLock { $0.sleeps } }

    func advance(_ duration: Duration) {
        state.withLock { $0.now += duration }
    }

    var clock: PacingClock {
        PacingClock(now: { self.now }, sleep: { duration in
            try Task.checkCancellation()
            let start = self.now
            await Task.yield()
            self.state.withLock { state in
                state.now = max(state.now, start + duration)
                state.sleeps += 1
            }
        })
    }
}

/// `ChunkPeers` over real stores with injected faults, counting every call.
final class FaultyPeers: ChunkPeers {
    enum Kind: String, Sendable, Hashable { case has, put, get, list, delete, collect, uploads }

    struct Call: Sendable, Hashable {
        var kind: Kind
        var member: MemberID
    }

    struct Faults: Sendable {
        /// Members that answer every call with `.peerUnavailable`.
        var down: Set<MemberID> = []
        /// Members that answer after this long.
        var delays: [MemberID: Duration] = [:]
        /// Members whose `get` replies have one payload byte flipped (a broken wire or a lying peer).
        var corruptReplies: Set<MemberID> = []
    }

    private struct State {
        var faults = Faults()
        var calls: [Call: Int] = [:]
        var inFlight: [Kind: Int] = [:]
        var maxInFlight: [Kind: Int] = [:]
    }

    let inner: LocalChunkPeers
    private let state = Mutex(State())

    init(_ inner: LocalChunkPeers) {
        self.inner = inner
    }

    func setFaults(_ change: (inout Faults) -> Void) {
        state.withLock { change(&$0.faults) }
    }

    var faults: Faults { state.withLock { $0.faults } }

    /// Calls of `kind` (to `member`, or to anyone).
    func calls(_ kind: Kind, on member: MemberID? = nil) -> Int {
        state.withLock { state in
            state.calls.filter { $0.key.kind == kind && (member == nil || $0.key.member == member) }.values.reduce(0, +)
        }
    }

    /// Calls of any kind to `member`.
    func calls(on member: MemberID) -> Int {
        state.withLock { $0.calls.filter { $0.key.member == member }.values.reduce(0, +) }
    }

    func maxInFlight(_ kind: Kind) -> Int { state.withLock { $0.maxInFlight[kind, default: 0] } }

    func resetCounts() {
        state.withLock { state in
            state.calls = [:]
            state.maxInFlight = [:]
        }
    }

    /// Counts the call, applies delay and down faults, runs `body`, and answers.
    private func call<T>(_ kind: Kind, _ member: MemberID, _ body: () async throws(ReplicationError) -> T)
        async throws(ReplicationError) -> T
    {
        let faults = state.withLock { state in
            state.calls[Call(kind: kind, member: member), default: 0] += 1
            state.inFlight[kind, default: 0] += 1
            state.maxInFlight[kind] = max(state.maxInFlight[kind, default: 0], state.inFlight[kind]!)
            return state.faults
        }
        defer { state.withLock { $0.inFlight[kind, default: 0] -= 1 } }
        if let delay = faults.delays[member] { try? await Task.sleep(for: delay) }
        guard !faults.down.contains(member) else { throw .peerUnavailable(member, "down (injected)") }
        return try await body()
    }

    func has(_ ids: [ChunkID], on member: MemberID) async throws(ReplicationError) -> [Bool] {
        try await call(.has, member) { () async throws(ReplicationError) in try await inner.has(ids, on: member) }
    }

    func put(_ frames: [ChunkFrame], on member: MemberID) async throws(ReplicationError)
        -> [Result<ChunkStore.PutOutcome, ReplicationError>]
    {
        try await call(.put, member) { () async throws(ReplicationError) in try await inner.put(frames, on: member) }
    }

    func get(_ id: ChunkID, from member: MemberID) async throws(ReplicationError) -> ChunkFrame {
        let frame = try await call(.get, member) { () async throws(ReplicationError) in try await inner.get(id, from: member) }
        guard faults.corruptReplies.contains(member), frame.bytes.count > ChunkFrame.headerSize else { return frame }
        var bytes = frame.bytes
        bytes[ChunkFrame.headerSize] ^= 0x40
        return try ChunkFrame(parsing: bytes)
    }

    func list(on member: MemberID, after: ChunkID?, limit: Int) async throws(ReplicationError) -> ChunkStore.Page {
        try await call(.list, member) { () async throws(ReplicationError) in try await inner.list(on: member, after: after, limit: limit) }
    }

    func delete(_ ids: [ChunkID], on member: MemberID) async throws(ReplicationError) -> Int {
        try await call(.delete, member) { () async throws(ReplicationError) in try await inner.delete(ids, on: member) }
    }

    func collect(_ ids: [ChunkID], untouchedForNanos: UInt64, on member: MemberID) async throws(ReplicationError)
        -> ChunkStore.CollectReport
    {
        try await call(.collect, member) { () async throws(ReplicationError) in
            try await inner.collect(ids, untouchedForNanos: untouchedForNanos, on: member)
        }
    }

    func oldestUploadNanos(on member: MemberID) async throws(ReplicationError) -> UInt64? {
        try await call(.uploads, member) { () async throws(ReplicationError) in try await inner.oldestUploadNanos(on: member) }
    }
}

/// N members, each with a real `ChunkStore` in its own temporary directory, reached through
/// `FaultyPeers`; members are numbered 1...N. Immutable after init (the temporary directories, not
/// `Sendable` themselves, are only kept to be removed on deinit), hence the unchecked conformance.
final class TestCluster: @unchecked Sendable {
    let members: [MemberID]
    let stores: [MemberID: ChunkStore]
    let peers: FaultyPeers
    let executor: BlockingExecutor
    private let directories: [TemporaryDirectory]

    private init(members: [MemberID], stores: [MemberID: ChunkStore], directories: [TemporaryDirectory], executor: BlockingExecutor) {
        self.members = members
        self.stores = stores
        self.directories = directories
        self.executor = executor
        peers = FaultyPeers(LocalChunkPeers(stores: stores.mapValues { AsyncChunkStore(store: $0, executor: executor) }))
    }

    /// Opens the stores (off the pool: opening fsyncs). Members in `full` refuse every write with
    /// `.insufficientSpace` (their reserve is larger than any disk).
    static func make(_ count: Int, full: Set<MemberID> = []) async throws -> TestCluster {
        let members = (1...count).map { MemberID($0) }
        let directories = members.map { TemporaryDirectory("member\($0)") }
        let paths = directories.map(\.path)
        let stores = try await offPool { () throws -> [MemberID: ChunkStore] in
            var stores: [MemberID: ChunkStore] = [:]
            for (member, path) in zip(members, paths) {
                let options = full.contains(member) ? ChunkStore.Options(reserveBytes: 1 << 60) : testStoreOptions
                stores[member] = try ChunkStore(directory: path, options: options)
            }
            return stores
        }
        return TestCluster(members: members, stores: stores, directories: directories,
                           executor: BlockingExecutor(threads: 4, label: "test-store"))
    }

    deinit {
        executor.shutdown()
    }

    func async(_ member: MemberID) -> AsyncChunkStore {
        AsyncChunkStore(store: stores[member]!, executor: executor)
    }

    /// Members whose store lists `id` as held (memory only), in member order.
    func holders(of id: ChunkID) -> [MemberID] {
        members.filter { (try? stores[$0]!.contains(id)) == true }
    }

    /// The ids `member` holds, in id order (memory only).
    func held(on member: MemberID) -> [ChunkID] {
        ((try? stores[member]!.list(limit: 1 << 30).chunks) ?? []).map(\.id)
    }

    var upMembers: [MemberID] {
        let down = peers.faults.down
        return members.filter { !down.contains($0) }
    }
}

/// `count` small frames, half text (lz4) and half random (raw), of varied sizes, built off the pool.
func smallFrames(_ count: Int, seed: UInt64, sizes: ClosedRange<Int> = 200...4_000) async throws -> [ChunkFrame] {
    try await offPool {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { index in
            let size = sizes.lowerBound + Int(generator.next() % UInt64(sizes.count))
            let data = index % 2 == 0 ? TestData.text(size, seed: generator.next()) : TestData.random(size, seed: generator.next())
            return ChunkFrame(encoding: data)
        }
    }
}

/// A value behind a lock that closures can share (a `Mutex` itself cannot be captured).
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) {
        mutex = Mutex(value)
    }

    var value: Value { mutex.withLock { $0 } }

    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R {
        mutex.withLock { body(&$0) }
    }
}

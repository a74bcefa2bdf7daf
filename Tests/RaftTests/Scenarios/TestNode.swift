@testable import Raft

/// A client command as the scenario state machine sees it: the client that sent it, that client's
/// sequence number (1, 2, …; a retry reuses it) and an opaque payload.
///
/// Encoded little-endian as client (8 bytes), sequence (8 bytes), payload.
struct TestCommand: Hashable, Sendable, CustomStringConvertible {
    var client: UInt64
    var seq: UInt64
    var payload: [UInt8]

    init(client: UInt64, seq: UInt64, payload: [UInt8] = []) {
        self.client = client
        self.seq = seq
        self.payload = payload
    }

    init?(decoding bytes: [UInt8]) {
        var reader = ByteReader(bytes)
        guard let client = reader.uint64(), let seq = reader.uint64() else { return nil }
        self.init(client: client, seq: seq, payload: reader.rest())
    }

    var encoded: [UInt8] {
        var bytes: [UInt8] = []
        bytes.appendUInt64(client)
        bytes.appendUInt64(seq)
        bytes.append(contentsOf: payload)
        return bytes
    }

    var description: String { "c\(client)#\(seq)" }

    /// A list of commands, for snapshots: count, then (client, seq, payload length, payload) each.
    static func encode(_ commands: [TestCommand]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.appendUInt64(UInt64(commands.count))
        for command in commands {
            bytes.appendUInt64(command.client)
            bytes.appendUInt64(command.seq)
            bytes.appendUInt64(UInt64(command.payload.count))
            bytes.append(contentsOf: command.payload)
        }
        return bytes
    }

    static func decodeList(_ bytes: [UInt8]) -> [TestCommand]? {
        var reader = ByteReader(bytes)
        guard let count = reader.uint64() else { return nil }
        var commands: [TestCommand] = []
        for _ in 0..<count {
            guard let client = reader.uint64(), let seq = reader.uint64(), let length = reader.uint64(),
                  let payload = reader.bytes(Int(length))
            else { return nil }
            commands.append(TestCommand(client: client, seq: seq, payload: payload))
        }
        return reader.isAtEnd ? commands : nil
    }
}

private struct ByteReader {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { offset == bytes.count }

    mutating func uint64() -> UInt64? {
        guard let chunk = self.bytes(8) else { return nil }
        return chunk.reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    mutating func bytes(_ count: Int) -> [UInt8]? {
        guard count >= 0, bytes.count - offset >= count else { return nil }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    mutating func rest() -> [UInt8] {
        defer { offset = bytes.count }
        return Array(bytes[offset...])
    }
}

private extension [UInt8] {
    mutating func appendUInt64(_ value: UInt64) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}

/// The scenarios' replicated state machine: the commands applied, in order, with duplicates (a client
/// retrying a sequence number it already got applied) skipped, plus the membership the log built.
struct TestStateMachine: Equatable {
    /// Commands in the order they took effect; a retried command appears once.
    private(set) var applied: [TestCommand] = []
    /// Highest sequence number applied per client, for deduplication.
    private(set) var lastSeq: [UInt64: UInt64] = [:]
    /// How many committed commands were skipped as duplicates.
    private(set) var duplicates = 0
    /// The membership after the last applied entry; a snapshot records it.
    private(set) var configuration = Configuration()
    private(set) var appliedIndex: UInt64 = 0

    init() {}

    /// The state a snapshot describes. Undecodable data gives an empty command list, which the
    /// prefix check at the end of every scenario then reports.
    init(restoring snapshot: Snapshot) {
        appliedIndex = snapshot.metadata.index
        configuration = snapshot.metadata.configuration
        applied = TestCommand.decodeList(snapshot.data) ?? []
        for command in applied { lastSeq[command.client] = Swift.max(lastSeq[command.client] ?? 0, command.seq) }
    }

    var snapshotData: [UInt8] { TestCommand.encode(applied) }

    /// Applies one committed entry; returns a description of what was wrong with it, if anything.
    mutating func apply(_ entry: Entry) -> String? {
        guard entry.index == appliedIndex + 1 else {
            return "entry \(entry.index) applied after \(appliedIndex)"
        }
        appliedIndex = entry.index
        switch entry.kind {
        case .noop:
            return nil
        case .configChange:
            guard let change = ConfigChange(decoding: entry.data) else {
                return "undecodable membership change at \(entry.index)"
            }
            // The core ignores a change that does not apply; so does the state machine.
            if let next = configuration.applying(change) { configuration = next }
            return nil
        case .normal:
            guard let command = TestCommand(decoding: entry.data) else {
                return "undecodable command at \(entry.index)"
            }
            if command.seq <= lastSeq[command.client, default: 0] {
                duplicates += 1
                return nil
            }
            lastSeq[command.client] = command.seq
            applied.append(command)
            return nil
        }
    }
}

/// What one node has made durable: the hard state, the log (a later write at an index replaces the
/// stored suffix from there), and the latest snapshot. It survives `TestCluster.crash`.
struct TestDisk: Equatable {
    var hardState = HardState()
    var snapshot: Snapshot?
    var entries: [Entry] = []

    init(_ state: PersistedState = PersistedState()) {
        hardState = state.hardState
        snapshot = state.snapshot
        entries = state.entries
    }

    var state: PersistedState { PersistedState(hardState: hardState, snapshot: snapshot, entries: entries) }
    var snapshotIndex: UInt64 { snapshot?.metadata.index ?? 0 }
    var lastIndex: UInt64 { snapshotIndex + UInt64(entries.count) }

    /// Step 2 of the Ready contract. Returns a problem when the Ready asks for an impossible write.
    mutating func write(_ ready: Ready) -> String? {
        if let received = ready.snapshot {
            // The core replaced its whole log with the snapshot; the disk follows.
            snapshot = received
            entries = []
        }
        if let first = ready.entries.first {
            guard first.index > snapshotIndex, first.index <= lastIndex + 1 else {
                return "write of entry \(first.index) outside (\(snapshotIndex), \(lastIndex + 1)]"
            }
            entries.removeSubrange(Int(first.index - snapshotIndex - 1)...)
            entries.append(contentsOf: ready.entries)
        }
        if let hardState = ready.hardState { self.hardState = hardState }
        return nil
    }

    /// Stores a snapshot the application took and drops the entries it covers.
    mutating func storeCompacted(_ taken: Snapshot) {
        snapshot = taken
        entries.removeAll { $0.index <= taken.metadata.index }
    }
}

/// One member of a `TestCluster`: a core while it runs, the disk that outlives it, and the volatile
/// state machine (rebuilt from the disk's snapshot and the log on restart).
final class TestNode {
    let config: RaftConfig
    /// nil while crashed.
    var core: RaftCore?
    var disk: TestDisk
    var machine = TestStateMachine()
    /// SIGSTOP-like: neither ticks, nor receives, nor processes its Ready.
    var paused = false
    /// Every ReadState this node was handed, across restarts.
    var readStates: [ReadState] = []
    /// Every entry this node ever applied, by index, across restarts.
    var appliedHistory: [UInt64: Entry] = [:]

    init(config: RaftConfig, disk: TestDisk) {
        self.config = config
        self.disk = disk
    }

    var id: NodeID { config.id }
    var isRunning: Bool { core != nil && !paused }
}

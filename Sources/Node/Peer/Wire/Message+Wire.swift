import Foundation
import PachAPI
import Raft

// Raft's `Message` ↔ `Raftpb_Message`. The proto enum numbers are not the Swift raw values
// (MESSAGE_KIND_UNSPECIFIED takes 0), so every kind is mapped by name in a switch: a reordering on
// either side then fails to compile instead of silently changing meaning.

extension Raftpb_Message {
    /// The wire form of `message`. A snapshot travels as its metadata only: its data goes in
    /// InstallSnapshot chunks, never inside a Stream request.
    init(_ message: Message) {
        self.init()
        kind = Raftpb_MessageKind(message.kind)
        from = message.from
        to = message.to
        term = message.term
        logTerm = message.logTerm
        index = message.index
        entries = message.entries.map(Raftpb_Entry.init)
        commit = message.commit
        reject = message.reject
        rejectHint = message.rejectHint
        if let snapshot = message.snapshot { self.snapshot = Raftpb_SnapshotMetadata(snapshot.metadata) }
        context = Data(message.context)
    }
}

extension Message {
    /// The Raft message `wire` carries; `snapshotData` is the data received beside it (InstallSnapshot).
    init(_ wire: Raftpb_Message, snapshotData: [UInt8] = []) throws(WireError) {
        self.init(
            kind: try MessageKind(wire.kind), from: wire.from, to: wire.to, term: wire.term,
            logTerm: wire.logTerm, index: wire.index, entries: try wire.entries.map { (entry) throws(WireError) in
                try Entry(entry)
            },
            commit: wire.commit, reject: wire.reject, rejectHint: wire.rejectHint,
            snapshot: wire.hasSnapshot ? Snapshot(metadata: SnapshotMetadata(wire.snapshot), data: snapshotData) : nil,
            context: [UInt8](wire.context))
    }
}

/// raft.proto numbers each kind one above its Swift raw value (0 is "unspecified"); WireTests pins
/// that, so the conversions are arithmetic rather than two hand-kept tables.
extension Raftpb_MessageKind {
    init(_ kind: MessageKind) {
        guard let wire = Raftpb_MessageKind(rawValue: Int(kind.rawValue) + 1) else {
            preconditionFailure("raft.proto lacks a number for \(kind)")
        }
        self = wire
    }
}

extension MessageKind {
    init(_ wire: Raftpb_MessageKind) throws(WireError) {
        if case .UNRECOGNIZED(let number) = wire { throw WireError("unknown message kind \(number)") }
        guard wire != .unspecified else { throw WireError("message kind is unspecified") }
        guard let kind = MessageKind(rawValue: UInt8(truncatingIfNeeded: wire.rawValue - 1)) else {
            throw WireError("unknown message kind \(wire.rawValue)")
        }
        self = kind
    }
}

extension Raftpb_Entry {
    init(_ entry: Entry) {
        self.init()
        term = entry.term
        index = entry.index
        kind = Raftpb_EntryKind(entry.kind)
        data = Data(entry.data)
    }
}

extension Entry {
    init(_ wire: Raftpb_Entry) throws(WireError) {
        self.init(term: wire.term, index: wire.index, kind: try EntryKind(wire.kind), data: [UInt8](wire.data))
    }
}

extension Raftpb_EntryKind {
    init(_ kind: EntryKind) {
        switch kind {
        case .normal: self = .normal
        case .configChange: self = .configChange
        case .noop: self = .noop
        }
    }
}

extension EntryKind {
    init(_ wire: Raftpb_EntryKind) throws(WireError) {
        switch wire {
        case .normal: self = .normal
        case .configChange: self = .configChange
        case .noop: self = .noop
        case .UNRECOGNIZED(let number): throw WireError("unknown entry kind \(number)")
        }
    }
}

@testable import Raft

/// One client command as it travels in an entry: who sent it (for exactly-once), and what it does.
struct SimCommand: Equatable {
    enum Op: Equatable {
        case put(key: String, value: String)
        case cas(key: String, expected: String?, new: String)
    }

    var client: UInt64
    var sequence: UInt64
    var op: Op

    var encoded: [UInt8] {
        var bytes: [UInt8] = []
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
        func str(_ s: String?) {
            guard let s else { bytes.append(0xFF); return }
            let utf8 = Array(s.utf8)
            bytes.append(UInt8(utf8.count))
            bytes.append(contentsOf: utf8)
        }
        u64(client)
        u64(sequence)
        switch op {
        case .put(let key, let value):
            bytes.append(1); str(key); str(value)
        case .cas(let key, let expected, let new):
            bytes.append(2); str(key); str(expected); str(new)
        }
        return bytes
    }

    init(client: UInt64, sequence: UInt64, op: Op) {
        self.client = client
        self.sequence = sequence
        self.op = op
    }

    init?(decoding bytes: [UInt8]) {
        var at = 0
        func u64() -> UInt64? {
            guard at + 8 <= bytes.count else { return nil }
            var v: UInt64 = 0
            for i in (0..<8).reversed() { v = v << 8 | UInt64(bytes[at + i]) }
            at += 8
            return v
        }
        func str() -> String?? {
            guard at < bytes.count else { return nil }
            let n = bytes[at]
            at += 1
            if n == 0xFF { return .some(nil) }
            guard at + Int(n) <= bytes.count else { return nil }
            defer { at += Int(n) }
            return .some(String(decoding: bytes[at..<at + Int(n)], as: UTF8.self))
        }
        guard let client = u64(), let sequence = u64(), at < bytes.count else { return nil }
        let kind = bytes[at]
        at += 1
        switch kind {
        case 1:
            guard let k = str(), let key = k, let v = str(), let value = v else { return nil }
            self.init(client: client, sequence: sequence, op: .put(key: key, value: value))
        case 2:
            guard let k = str(), let key = k, let expected = str(), let n = str(), let new = n else { return nil }
            self.init(client: client, sequence: sequence, op: .cas(key: key, expected: expected, new: new))
        default:
            return nil
        }
    }
}

/// The simulated application: a key-value map with a session table for exactly-once commands.
struct SimKV: Equatable {
    var values: [String: String] = [:]
    /// Per client: the last sequence applied and its result.
    var sessions: [UInt64: (sequence: UInt64, result: Bool)] = [:]
    var appliedIndex: UInt64 = 0
    /// Every (client, sequence) applied, in order: the exactly-once checker reads it.
    var appliedCommands: [(client: UInt64, sequence: UInt64)] = []

    static func == (lhs: SimKV, rhs: SimKV) -> Bool {
        lhs.values == rhs.values && lhs.appliedIndex == rhs.appliedIndex
    }

    /// Applies one committed entry; returns the command's result (cas success) for normal entries.
    mutating func apply(_ entry: Entry) -> (command: SimCommand, result: Bool, duplicate: Bool)? {
        precondition(entry.index == appliedIndex + 1, "apply \(entry.index) after \(appliedIndex)")
        appliedIndex = entry.index
        guard entry.kind == .normal, let command = SimCommand(decoding: entry.data) else { return nil }
        if let session = sessions[command.client], session.sequence >= command.sequence {
            return (command, session.result, true)
        }
        let result: Bool
        switch command.op {
        case .put(let key, let value):
            values[key] = value
            result = true
        case .cas(let key, let expected, let new):
            result = values[key] == expected
            if result { values[key] = new }
        }
        sessions[command.client] = (command.sequence, result)
        appliedCommands.append((command.client, command.sequence))
        return (command, result, false)
    }

    /// A snapshot image: the whole map (the applied-command log travels along for the checker only).
    func snapshotData() -> [UInt8] {
        var lines: [String] = []
        for key in values.keys.sorted() { lines.append("v\t\(key)\t\(values[key]!)") }
        for client in sessions.keys.sorted() {
            let s = sessions[client]!
            lines.append("s\t\(client)\t\(s.sequence)\t\(s.result ? 1 : 0)")
        }
        for c in appliedCommands { lines.append("a\t\(c.client)\t\(c.sequence)") }
        return Array(lines.joined(separator: "\n").utf8)
    }

    static func restore(_ snapshot: Snapshot) -> SimKV {
        var kv = SimKV()
        kv.appliedIndex = snapshot.metadata.index
        let text = String(decoding: snapshot.data, as: UTF8.self)
        for line in text.split(separator: "\n") {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            switch f.first {
            case "v": kv.values[f[1]] = f[2]
            case "s": kv.sessions[UInt64(f[1])!] = (UInt64(f[2])!, f[3] == "1")
            case "a": kv.appliedCommands.append((UInt64(f[1])!, UInt64(f[2])!))
            default: break
            }
        }
        return kv
    }
}

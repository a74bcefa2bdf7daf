import Foundation

/// Bytes on their way out of a streaming read, cut into messages of a fixed size.
///
/// Each message is a fresh `Data` copied out, never a slice of the buffer: a slice would share (and a
/// `removeFirst` on `Data` would keep) the buffer's storage, so a stream would hold every byte it ever
/// sent until it ended — a whole file in memory. Here the buffer holds at most one message plus the
/// last append.
struct OutgoingBytes {
    private var bytes: [UInt8] = []
    private var start = 0
    let messageBytes: Int

    init(messageBytes: Int) {
        precondition(messageBytes > 0)
        self.messageBytes = messageBytes
    }

    /// Bytes waiting.
    var count: Int { bytes.count - start }
    var isEmpty: Bool { count == 0 }

    mutating func append(_ more: [UInt8]) {
        if start > 0 && start >= bytes.count / 2 {
            bytes.removeFirst(start)
            start = 0
        }
        bytes.append(contentsOf: more)
    }

    /// The next full message, if `messageBytes` are waiting.
    mutating func nextMessage() -> Data? {
        guard count >= messageBytes else { return nil }
        defer { start += messageBytes }
        return Data(bytes[start..<(start + messageBytes)])
    }

    /// Everything waiting, as one message (may be empty).
    mutating func drain() -> Data {
        defer {
            bytes.removeAll(keepingCapacity: true)
            start = 0
        }
        return Data(bytes[start...])
    }
}

@testable import Raft

/// Something that happens at a simulated millisecond.
enum SimEvent {
    case tick(NodeID)
    case deliver(Message)
    case persistDone(NodeID, incarnation: Int)
    case clientStart(Int)
    case clientTimeout(Int, attempt: Int)
    case fault
    case resume(NodeID)
}

/// A min-heap of events ordered by (time, insertion order): ties break by insertion, so one seed
/// always yields one order.
struct SimEventQueue {
    private var heap: [(time: UInt64, order: UInt64, event: SimEvent)] = []
    private var nextOrder: UInt64 = 0

    var isEmpty: Bool { heap.isEmpty }
    var count: Int { heap.count }

    mutating func schedule(_ event: SimEvent, at time: UInt64) {
        heap.append((time, nextOrder, event))
        nextOrder += 1
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard less(child, parent) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> (time: UInt64, event: SimEvent)? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count && less(left, smallest) { smallest = left }
            if right < heap.count && less(right, smallest) { smallest = right }
            if smallest == parent { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return (top.time, top.event)
    }

    private func less(_ a: Int, _ b: Int) -> Bool {
        heap[a].time < heap[b].time || (heap[a].time == heap[b].time && heap[a].order < heap[b].order)
    }
}

/// A cheap, order-sensitive digest of everything that happened (FNV-1a, 64-bit): two runs with one seed
/// must produce the same digest, byte for byte.
struct SimTrace {
    private(set) var digest: UInt64 = 0xCBF2_9CE4_8422_2325
    private(set) var lines: [String] = []
    let keepLines: Bool

    init(keepLines: Bool) {
        self.keepLines = keepLines
    }

    mutating func record(_ line: String) {
        for byte in line.utf8 {
            digest ^= UInt64(byte)
            digest &*= 0x0000_0100_0000_01B3
        }
        if keepLines { lines.append(line) }
    }
}

import Foundation
import Synchronization

/// The bytes of files read through a mount, fetched a block at a time, kept in a bounded cache, and read
/// ahead while a file is read in order.
///
/// Blocks are named by the file's key (its content id: equal ids are equal bytes, whatever the commit)
/// and their index. A caller that needs a block being fetched waits for that fetch rather than starting
/// another. Readahead starts when a read begins where the last read of the same file ended, so random
/// reads fetch only what they touch. Callers block (they are FUSE threads); fetches run as tasks.
public final class BlockCache: Sendable {
    /// A file to read: its key, size, and how to fetch a range of it.
    public struct File: Sendable {
        public var key: String
        public var sizeBytes: UInt64
        public var fetch: @Sendable (_ offset: UInt64, _ length: Int) async throws -> [UInt8]

        public init(key: String, sizeBytes: UInt64, fetch: @escaping @Sendable (UInt64, Int) async throws -> [UInt8]) {
            self.key = key
            self.sizeBytes = sizeBytes
            self.fetch = fetch
        }
    }

    public let blockBytes: Int
    public let capacityBytes: Int
    /// Blocks fetched ahead of a sequential reader.
    public let readaheadBlocks: Int
    /// Maps a failed fetch to the errno the reader sees.
    let failure: @Sendable (any Error) -> FuseError

    private struct BlockKey: Hashable {
        var file: String
        var index: UInt64
    }

    /// A block being fetched; readers of it wait on `condition`.
    private final class Pending: @unchecked Sendable {
        let condition = NSCondition()
        var result: Result<[UInt8], FuseError>?

        func finish(_ result: Result<[UInt8], FuseError>) {
            condition.lock()
            self.result = result
            condition.broadcast()
            condition.unlock()
        }

        func wait() -> Result<[UInt8], FuseError> {
            condition.lock()
            defer { condition.unlock() }
            while result == nil { condition.wait() }
            return result!
        }
    }

    private enum Slot {
        case loading(Pending)
        case ready([UInt8], lastUse: UInt64)
    }

    private struct State {
        var slots: [BlockKey: Slot] = [:]
        var bytes = 0
        var clock: UInt64 = 0
        /// Where the last read of each file ended, to tell sequential readers from random ones.
        var lastEnd: [String: UInt64] = [:]
        var hits: UInt64 = 0
        var fetches: UInt64 = 0
    }

    private let state = Mutex(State())

    public init(blockBytes: Int = 1 << 20, capacityBytes: Int = 256 << 20, readaheadBlocks: Int = 8,
                failure: @escaping @Sendable (any Error) -> FuseError = { ($0 as? FuseError) ?? .io }) {
        precondition(blockBytes > 0)
        self.blockBytes = blockBytes
        self.capacityBytes = max(capacityBytes, blockBytes * (readaheadBlocks + 2))
        self.readaheadBlocks = readaheadBlocks
        self.failure = failure
    }

    /// Blocks served from the cache and blocks fetched, so far.
    public var counters: (hits: UInt64, fetches: UInt64) { state.withLock { ($0.hits, $0.fetches) } }

    /// Fills `buffer` with the file's bytes from `offset`; the count (short at the end of the file).
    public func read(_ file: File, into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(FuseError) -> Int {
        guard offset < file.sizeBytes, buffer.count > 0 else { return 0 }
        let end = min(file.sizeBytes, offset + UInt64(buffer.count))
        let block = UInt64(blockBytes)
        let first = offset / block
        let last = (end - 1) / block
        let sequential = state.withLock { state -> Bool in
            let previous = state.lastEnd[file.key]
            state.lastEnd[file.key] = end
            if state.lastEnd.count > 4_096 { state.lastEnd = [file.key: end] }
            return offset == 0 || previous == offset
        }
        let lastBlock = (file.sizeBytes - 1) / block
        if sequential {
            let ahead = min(lastBlock, last + UInt64(readaheadBlocks))
            if ahead > last { for index in (last + 1)...ahead { _ = slot(file, index) } }
        }
        var written = 0
        for index in first...last {
            let bytes = try blockBytes(file, index)
            let start = index * block
            let from = Int(max(offset, start) - start)
            let to = Int(min(end, start + UInt64(bytes.count)) - start)
            guard from < to else { break }
            bytes.withUnsafeBytes { source in
                let target = UnsafeMutableRawBufferPointer(rebasing: buffer[written..<(written + to - from)])
                target.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[from..<to]))
            }
            written += to - from
        }
        return written
    }

    /// Drops the cached blocks of one file (its bytes changed under the same key).
    public func forget(_ key: String) {
        state.withLock { state in
            for (blockKey, slot) in state.slots where blockKey.file == key {
                if case .ready(let bytes, _) = slot {
                    state.bytes -= bytes.count
                    state.slots.removeValue(forKey: blockKey)
                }
            }
        }
    }

    private func blockBytes(_ file: File, _ index: UInt64) throws(FuseError) -> [UInt8] {
        switch slot(file, index) {
        case .ready(let bytes, _): return bytes
        case .loading(let pending): return try pending.wait().get()
        }
    }

    /// The block's slot, starting its fetch when it is neither cached nor being fetched.
    private func slot(_ file: File, _ index: UInt64) -> Slot {
        let key = BlockKey(file: file.key, index: index)
        let (slot, started) = state.withLock { state -> (Slot, Pending?) in
            state.clock += 1
            switch state.slots[key] {
            case .ready(let bytes, _):
                state.slots[key] = .ready(bytes, lastUse: state.clock)
                state.hits += 1
                return (.ready(bytes, lastUse: state.clock), nil)
            case .loading(let pending):
                return (.loading(pending), nil)
            case nil:
                let pending = Pending()
                state.slots[key] = .loading(pending)
                state.fetches += 1
                return (.loading(pending), pending)
            }
        }
        if let started {
            let offset = index * UInt64(blockBytes)
            let length = Int(min(UInt64(blockBytes), file.sizeBytes - offset))
            let failure = self.failure
            Task {
                let result: Result<[UInt8], FuseError>
                do {
                    let bytes = try await file.fetch(offset, length)
                    result = bytes.count == length ? .success(bytes) : .failure(.io)
                } catch {
                    result = .failure(failure(error))
                }
                self.settle(key, started, result)
            }
        }
        return slot
    }

    /// Records a finished fetch: cached on success (evicting the least recently used blocks beyond the
    /// capacity), forgotten on failure so that the next read tries again.
    private func settle(_ key: BlockKey, _ pending: Pending, _ result: Result<[UInt8], FuseError>) {
        state.withLock { state in
            guard case .loading(let current) = state.slots[key], current === pending else { return }
            switch result {
            case .success(let bytes):
                state.clock += 1
                state.slots[key] = .ready(bytes, lastUse: state.clock)
                state.bytes += bytes.count
                while state.bytes > capacityBytes {
                    let oldest = state.slots.compactMap { entry -> (BlockKey, UInt64, Int)? in
                        if case .ready(let bytes, let used) = entry.value, entry.key != key { return (entry.key, used, bytes.count) }
                        return nil
                    }.min { $0.1 < $1.1 }
                    guard let oldest else { break }
                    state.slots.removeValue(forKey: oldest.0)
                    state.bytes -= oldest.2
                }
            case .failure:
                state.slots.removeValue(forKey: key)
            }
        }
        pending.finish(result)
    }
}

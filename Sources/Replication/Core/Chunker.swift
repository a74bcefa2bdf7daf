/// Content-defined chunking of a byte stream: FastCDC (Xia et al., "FastCDC: a Fast and Efficient
/// Content-Defined Chunking Approach for Data Deduplication", USENIX ATC 2016) with its gear rolling hash,
/// cut-point skipping and normalized chunking.
///
/// Feed it buffers of any size with `append`; it emits every chunk as soon as its end is known and keeps
/// only the bytes of the unfinished chunk (always fewer than `maxBytes`), so memory stays constant however
/// long the stream. `finish()` returns the tail. The boundaries depend only on the bytes, never on how
/// they were split into buffers, and an edit moves at most the boundaries near it, which is what lets
/// equal content deduplicate across files and versions.
///
/// Deviations from the paper, each fixed as part of the storage format (see `GearTable`):
/// - the gear table and masks come from a SplitMix64 stream, not the paper's tables;
/// - the hash restarts at 0 at `minBytes` into each chunk; the byte at offset `p` is hashed, then tested
///   with the hard mask while `p < averageBytes` and with the easy mask after, and a hit ends the chunk
///   after that byte (length `p + 1`); a chunk reaching `maxBytes` ends there;
/// - the two-bytes-a-step loop of FastCDC 2020 (Xia et al., IEEE TPDS 2020) is used with every byte still tested (the paper's version
///   tests a shifted mask that drops the top mask bit), so cut points are those of the one-byte
///   definition above, and a plain reference implementation can check them.
///
/// A value type with no I/O; not shared between threads (each stream has its own).
public struct Chunker: Sendable {
    /// The sizes this chunker cuts to.
    public let options: ChunkerOptions
    /// The bytes of the unfinished chunk; `pending.count < options.maxBytes` between calls.
    private var pending: [UInt8] = []
    /// The gear hash of `pending`'s bytes from `minBytes` on.
    private var hash: UInt64 = 0

    /// A chunker at the start of a stream.
    public init(options: ChunkerOptions = .standard) {
        self.options = options
    }

    /// Bytes held for the chunk not yet ended (less than `options.maxBytes`).
    public var bufferedByteCount: Int { pending.count }

    /// Consumes `input`, calling `emit` with each chunk it completes, in stream order.
    ///
    /// Bytes after the last boundary are kept (copied) until a later call or `finish()` ends their chunk.
    /// If `emit` throws, the chunk it was given is lost to this chunker and the rest of `input` is not
    /// consumed: the stream is broken and the chunker MUST NOT be used further.
    public mutating func append<E: Error>(
        _ input: UnsafeRawBufferPointer, emit: ([UInt8]) throws(E) -> Void
    ) throws(E) {
        guard let base = input.baseAddress?.assumingMemoryBound(to: UInt8.self), input.count > 0 else { return }
        var start = 0
        while start < input.count {
            let rest = UnsafeBufferPointer(start: base + start, count: input.count - start)
            guard let cut = Self.findCut(rest, chunkLength: pending.count, hash: &hash, options: options) else {
                pending.append(contentsOf: rest)
                return
            }
            var chunk: [UInt8]
            if pending.isEmpty {
                chunk = Array(rest[..<cut])
            } else {
                chunk = []
                chunk.reserveCapacity(pending.count + cut)
                chunk.append(contentsOf: pending)
                chunk.append(contentsOf: rest[..<cut])
                pending.removeAll(keepingCapacity: true)
            }
            hash = 0
            start += cut
            try emit(chunk)
        }
    }

    /// Consumes `bytes` and returns the chunks it completed, in order.
    public mutating func append(_ bytes: [UInt8]) -> [[UInt8]] {
        var chunks: [[UInt8]] = []
        bytes.withUnsafeBytes { buffer in append(buffer) { chunks.append($0) } }
        return chunks
    }

    /// Ends the stream: returns the last chunk (which may be shorter than `minBytes`), or nil when the
    /// stream ended on a boundary or was empty. The chunker is then at the start of a new stream.
    public mutating func finish() -> [UInt8]? {
        hash = 0
        guard !pending.isEmpty else { return nil }
        let tail = pending
        pending = []
        return tail
    }

    /// The end offsets of the chunks of `buffer` as one whole stream (the last is `buffer.count` unless
    /// the buffer is empty), without copying anything: what `append` + `finish` would cut.
    public static func boundaries(of buffer: UnsafeRawBufferPointer, options: ChunkerOptions = .standard) -> [Int] {
        guard let base = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), buffer.count > 0 else { return [] }
        var ends: [Int] = []
        var start = 0
        while start < buffer.count {
            var hash: UInt64 = 0
            let rest = UnsafeBufferPointer(start: base + start, count: buffer.count - start)
            start += findCut(rest, chunkLength: 0, hash: &hash, options: options) ?? rest.count
            ends.append(start)
        }
        return ends
    }

    /// Where the current chunk ends within `input`, given that it already has `chunkLength` bytes before
    /// `input` and that `hash` covers them: the number of bytes of `input` that complete the chunk, or nil
    /// when all of `input` belongs to it and more is needed (then `hash` covers `input` too).
    @inline(__always)
    static func findCut(
        _ input: UnsafeBufferPointer<UInt8>, chunkLength: Int, hash: inout UInt64, options: ChunkerOptions
    ) -> Int? {
        let count = input.count
        // Cut-point skipping: nothing before minBytes is hashed or can be a boundary.
        var index = max(0, options.minBytes - chunkLength)
        guard index < count else { return nil }
        return GearTable.values.withUnsafeBufferPointer { table -> Int? in
            // The table has 256 entries and a byte indexes it: unchecked access is in bounds.
            let gear = table.baseAddress!
            let bytes = input.baseAddress!
            var fingerprint = hash
            let normalEnd = min(count, max(index, options.averageBytes - chunkLength))
            if let cut = scan(bytes, gear, from: &index, to: normalEnd, fingerprint: &fingerprint, mask: options.maskSmall) {
                return cut
            }
            let hardEnd = min(count, options.maxBytes - chunkLength)
            if let cut = scan(bytes, gear, from: &index, to: hardEnd, fingerprint: &fingerprint, mask: options.maskLarge) {
                return cut
            }
            hash = fingerprint
            return chunkLength + index == options.maxBytes ? index : nil
        }
    }

    /// Hashes `bytes[index..<end]` into `fingerprint`, stopping after the first byte whose hash has no
    /// bit of `mask` set: returns the index after it, or nil with `index == end`.
    ///
    /// Two bytes a step, as in FastCDC 2020, but with the exact one-byte semantics: the hash after both
    /// bytes is `(h << 2) + ((g0 << 1) + g1)`, which equals `(((h << 1) + g0) << 1) + g1` modulo 2^64, so
    /// the loop-carried chain is one shift and one add per two bytes; the hash after the first byte is
    /// computed beside it only to be tested.
    @inline(__always)
    private static func scan(
        _ bytes: UnsafePointer<UInt8>, _ gear: UnsafePointer<UInt64>, from index: inout Int, to end: Int,
        fingerprint: inout UInt64, mask: UInt64
    ) -> Int? {
        var i = index
        var hash = fingerprint
        defer {
            index = i
            fingerprint = hash
        }
        while i + 2 <= end {
            let first = gear[Int(bytes[i])]
            let second = gear[Int(bytes[i + 1])]
            let afterFirst = (hash << 1) &+ first
            hash = (hash << 2) &+ ((first << 1) &+ second)
            if afterFirst & mask == 0 {
                hash = afterFirst
                i += 1
                return i
            }
            i += 2
            if hash & mask == 0 { return i }
        }
        if i < end {
            hash = (hash << 1) &+ gear[Int(bytes[i])]
            i += 1
            if hash & mask == 0 { return i }
        }
        return nil
    }
}

import Testing
@testable import Replication

/// Small sizes so property tests see hundreds of chunks in a few MiB, even in a debug build.
let smallOptions = try! ChunkerOptions(minBytes: 2 << 10, averageBytes: 8 << 10, maxBytes: 32 << 10)

/// The obvious version: one byte at a time over the whole input, straight from the doc comment of
/// `Chunker`. The fast chunker must cut exactly where this does.
func referenceBoundaries(_ data: [UInt8], options: ChunkerOptions) -> [Int] {
    var ends: [Int] = []
    var start = 0
    while start < data.count {
        var end = min(start + options.maxBytes, data.count)
        var hash: UInt64 = 0
        var position = options.minBytes
        while start + position < end {
            hash = (hash << 1) &+ GearTable.values[Int(data[start + position])]
            let mask = position < options.averageBytes ? options.maskSmall : options.maskLarge
            if hash & mask == 0 {
                end = start + position + 1
                break
            }
            position += 1
        }
        ends.append(end)
        start = end
    }
    return ends
}

/// Feeds `data` to a chunker in pieces of seeded random sizes (1 byte up to `largestFeed`).
func chunkStreaming(_ data: [UInt8], options: ChunkerOptions, seed: UInt64, largestFeed: Int) -> (chunks: [[UInt8]], maxBuffered: Int) {
    var generator = SplitMix64(seed: seed)
    var chunker = Chunker(options: options)
    var chunks: [[UInt8]] = []
    var maxBuffered = 0
    var offset = 0
    data.withUnsafeBytes { buffer in
        while offset < data.count {
            // Mostly mid-size feeds, some single bytes, some huge ones.
            let roll = generator.next() % 10
            let size = roll == 0 ? 1 : roll == 1 ? largestFeed : 1 + Int(generator.next() % UInt64(largestFeed))
            let end = min(data.count, offset + size)
            chunker.append(UnsafeRawBufferPointer(rebasing: buffer[offset..<end])) { chunks.append($0) }
            maxBuffered = max(maxBuffered, chunker.bufferedByteCount)
            offset = end
        }
    }
    if let tail = chunker.finish() { chunks.append(tail) }
    return (chunks, maxBuffered)
}

func ends(of chunks: [[UInt8]]) -> [Int] {
    var total = 0
    return chunks.map { total += $0.count; return total }
}

@Suite struct ChunkerTests {
    @Test(arguments: [
        (64, 128, 256, 0), (256 << 10, 1 << 20, 4 << 20, 2), (1000, 1001, 1002, 2), (64, 100, 64 << 20, 4),
    ])
    func acceptsValidOptions(min: Int, average: Int, max: Int, normalization: Int) throws {
        let options = try ChunkerOptions(minBytes: min, averageBytes: average, maxBytes: max, normalization: normalization)
        #expect(options.maskSmall & options.maskLarge == options.maskLarge, "masks are nested")
        #expect(options.maskSmall.nonzeroBitCount - options.maskLarge.nonzeroBitCount == 2 * normalization)
    }

    @Test(arguments: [
        (63, 128, 256, 2, "at least 64"), (128, 128, 256, 2, "less than averageBytes"),
        (64, 256, 256, 2, "less than maxBytes"), (300, 200, 400, 2, "less than averageBytes"),
        (64, 128, (64 << 20) + 1, 2, "exceeds the limit"), (64, 128, 256, 5, "between 0 and 4"),
        (64, 128, 256, -1, "between 0 and 4"),
    ])
    func rejectsInvalidOptions(min: Int, average: Int, max: Int, normalization: Int, message: String) {
        #expect {
            _ = try ChunkerOptions(minBytes: min, averageBytes: average, maxBytes: max, normalization: normalization)
        } throws: { error in
            guard case .invalidOptions(let text) = error as? ReplicationError else { return false }
            return text.contains(message)
        }
    }

    @Test(arguments: [(1 << 20, 20), (1_400_000, 20), (1_600_000, 21), (8192, 13), (100, 7), (90, 6), (64 << 20, 26)])
    func maskBitsRoundLog2(average: Int, bits: Int) {
        #expect(ChunkerOptions.maskBits(for: average) == bits)
    }

    /// The gear table and masks are part of the storage format: this pins them. If it fails, the change
    /// broke deduplication against every chunk already stored; revert it.
    @Test func gearTableAndMasksArePinned() throws {
        let values = GearTable.values
        #expect(values.count == 256)
        #expect(Set(values).count == 256)
        #expect(values[0] == 0xc870_5d66_0aad_5f1a)
        #expect(values[255] == 0x298f_5c51_9d80_dbde)
        #expect(values.reduce(UInt64(0)) { SplitMix64.mix($0 ^ $1) } == 0x36cd_3489_171e_de98)
        #expect(ChunkerOptions.standard.maskSmall == 0xd2e1_8661_f8c1_0000)
        #expect(ChunkerOptions.standard.maskLarge == 0xd2c1_0661_68c1_0000)
        #expect(ChunkerOptions.standard.maskSmall.nonzeroBitCount == 22)
        #expect(ChunkerOptions.standard.maskLarge.nonzeroBitCount == 18)
        #expect(ChunkerOptions.standard.maskSmall & 0xFFFF == 0, "no mask bit below 16")
        #expect(try ChunkerOptions(minBytes: 256 << 10, averageBytes: 1 << 20, maxBytes: 4 << 20) == .standard)
    }

    /// Where 8 MiB of seeded random data is cut with the standard options, forever (storage format).
    @Test func standardBoundariesArePinned() {
        let data = TestData.random(8 << 20, seed: 42)
        let boundaries = data.withUnsafeBytes { Chunker.boundaries(of: $0) }
        #expect(boundaries == [1_084_579, 2_362_516, 4_038_016, 5_149_854, 6_215_213, 7_303_735, 8_388_608])
    }

    @Test("streaming cuts where the reference does, whatever the feed sizes", arguments: Seeds.ci(12))
    func streamingMatchesReference(seed: UInt64) {
        let data = seed % 3 == 0 ? TestData.text(1 << 20, seed: seed) : TestData.random(1 << 20, seed: seed)
        let expected = referenceBoundaries(data, options: smallOptions)
        let whole = data.withUnsafeBytes { Chunker.boundaries(of: $0, options: smallOptions) }
        #expect(whole == expected, "replay with REPL_SEED=\(seed)")
        for largestFeed in [100, 5_000, 70_000] {
            let (chunks, maxBuffered) = chunkStreaming(data, options: smallOptions, seed: seed, largestFeed: largestFeed)
            #expect(ends(of: chunks) == expected, "feeds up to \(largestFeed): replay with REPL_SEED=\(seed)")
            #expect(Array(chunks.joined()) == data, "concatenation equals input; REPL_SEED=\(seed)")
            #expect(maxBuffered < smallOptions.maxBytes, "buffered \(maxBuffered); REPL_SEED=\(seed)")
            for chunk in chunks.dropLast() {
                #expect(chunk.count > smallOptions.minBytes && chunk.count <= smallOptions.maxBytes,
                        "chunk of \(chunk.count) bytes; REPL_SEED=\(seed)")
            }
        }
    }

    @Test func edgeCases() {
        var chunker = Chunker(options: smallOptions)
        #expect(chunker.finish() == nil, "empty stream has no chunk")
        #expect(chunker.append([1, 2, 3]).isEmpty)
        #expect(chunker.finish() == [1, 2, 3], "a stream shorter than min is one chunk")
        #expect(chunker.finish() == nil, "finish resets")
        // Constant bytes never hit a mask the same way twice: chunks are cut at max (or where the
        // constant hash happens to match), all within bounds.
        let zeros = [UInt8](repeating: 0, count: 200_000)
        let chunks = chunker.append(zeros) + [chunker.finish()].compactMap { $0 }
        #expect(Array(chunks.joined()) == zeros)
        #expect(chunks.dropLast().allSatisfy { $0.count > smallOptions.minBytes && $0.count <= smallOptions.maxBytes })
        let exact = [UInt8](repeating: 7, count: smallOptions.maxBytes)
        #expect(exact.withUnsafeBytes { Chunker.boundaries(of: $0, options: smallOptions) }.last == smallOptions.maxBytes)
    }

    /// The whole point of content-defined chunking: a small insertion near the start of a large file
    /// leaves all but the chunks around it unchanged, so the new version deduplicates against the old.
    @Test("an insertion changes only nearby chunks (32 MiB, standard sizes)", arguments: [UInt64(7), 8])
    func insertionChangesFewChunks(seed: UInt64) async throws {
        // 64 MiB of hashing: on a thread of its own, not the cooperative pool the other tests share.
        let (changed, total, average) = try await offPool { () -> (Int, Int, Int) in
            let original = TestData.random(32 << 20, seed: seed)
            var edited = original
            var generator = SplitMix64(seed: seed)
            let position = 1_000 + Int(generator.next() % 100_000)
            edited.insert(contentsOf: TestData.random(1 + Int(generator.next() % 16), seed: seed &+ 1), at: position)
            let before = Self.chunkIDs(original)
            let after = Self.chunkIDs(edited)
            return (Set(after).subtracting(before).count, after.count, original.count / before.count)
        }
        #expect(changed <= 2, "\(changed) of \(total) chunks changed; replay with REPL_SEED=\(seed)")
        // And the sizes look like the design says: ~1 MiB average within the bounds.
        #expect((768 << 10...1536 << 10).contains(average), "average chunk \(average) bytes; REPL_SEED=\(seed)")
    }

    private static func chunkIDs(_ data: [UInt8]) -> [ChunkID] {
        let ends = data.withUnsafeBytes { Chunker.boundaries(of: $0) }
        var start = 0
        return data.withUnsafeBytes { buffer in
            ends.map { end in
                defer { start = end }
                return ChunkID(of: UnsafeRawBufferPointer(rebasing: buffer[start..<end]))
            }
        }
    }
}

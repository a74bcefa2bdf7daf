import Raft
import Testing
@testable import Replication

/// Rewrites a frame's header fields (and optionally its payload) and recomputes the header CRC, to build
/// frames that pass the cheap checks and must be caught by the deep ones.
func forgeFrame(
    _ frame: [UInt8], codec: UInt8? = nil, rawLength: UInt32? = nil, id: ChunkID? = nil,
    payload: [UInt8]? = nil
) -> [UInt8] {
    var bytes = Array(frame.prefix(ChunkFrame.headerSize)) + (payload ?? Array(frame.dropFirst(ChunkFrame.headerSize)))
    bytes.withUnsafeMutableBytes { buffer in
        if let codec { buffer[5] = codec }
        if let rawLength { buffer.storeBytes(of: rawLength.littleEndian, toByteOffset: 8, as: UInt32.self) }
        buffer.storeBytes(of: UInt32(buffer.count - ChunkFrame.headerSize).littleEndian, toByteOffset: 12, as: UInt32.self)
        if let id { id.write(to: buffer.baseAddress! + 16) }
        let headerCRC = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: buffer[..<48]))
        buffer.storeBytes(of: headerCRC.littleEndian, toByteOffset: 48, as: UInt32.self)
    }
    return bytes
}

/// Parses and decodes, returning the error (nil when the frame is accepted).
func rejection(_ bytes: [UInt8], maxRawLength: Int = ChunkerOptions.maxBytesLimit) -> ReplicationError? {
    do throws(ReplicationError) {
        _ = try ChunkFrame(parsing: bytes, maxRawLength: maxRawLength).decode()
        return nil
    } catch {
        return error
    }
}

@Suite struct ChunkFrameTests {
    @Test func crc32cKnownVector() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
    }

    @Test("round trip", arguments: Seeds.ci(6))
    func roundTrip(seed: UInt64) throws {
        var generator = SplitMix64(seed: seed)
        for length in [0, 1, 55, 4_096, 100_000 + Int(generator.next() % 1_000_000), 4 << 20] {
            for (kind, data) in [("random", TestData.random(length, seed: seed)), ("text", TestData.text(length, seed: seed))] {
                let frame = ChunkFrame(encoding: data)
                #expect(frame.id == ChunkID(of: data))
                #expect(frame.rawLength == data.count)
                let parsed = try ChunkFrame(parsing: frame.bytes)
                #expect(parsed == frame)
                #expect(try parsed.decode() == data, "\(kind) \(length) bytes; REPL_SEED=\(seed)")
                #expect(frame.storedLength <= ChunkFrame.headerSize + length, "a frame never grows past header + raw")
                #expect(frame.bytes.capacity <= frame.storedLength * 4 / 3 + 64, "no worst-case buffer kept alive")
                if kind == "random" || length < 16 {
                    // Incompressible (or tiny): kept raw, costing only the header.
                    #expect(frame.codec == .raw, "\(kind) \(length) bytes")
                    #expect(frame.storedLength == ChunkFrame.headerSize + length)
                } else if length >= 100_000 {
                    #expect(frame.codec == .lz4, "\(kind) \(length) bytes")
                    #expect(frame.storedLength < ChunkFrame.headerSize + length * 7 / 10, "text compresses")
                }
            }
        }
    }

    @Test func rejectedAtEveryTruncationLength() {
        for data in [TestData.text(3_000, seed: 1), TestData.random(700, seed: 2)] {
            let bytes = ChunkFrame(encoding: data).bytes
            for length in 0..<bytes.count {
                let error = rejection(Array(bytes.prefix(length)))
                #expect(error != nil, "a frame cut to \(length) of \(bytes.count) bytes was accepted")
                if case .truncatedFrame = error {} else {
                    Issue.record("cut to \(length) of \(bytes.count): \(String(describing: error)), not truncatedFrame")
                }
            }
            #expect(rejection(bytes + [0]) == .corruptFrame("1 bytes follow the payload"))
        }
    }

    /// A flipped bit is either refused or, when it lands where lz4 ignores it (the match-length nibble
    /// of the last token), decodes to exactly the original bytes: wrong content is never returned.
    @Test func bitFlipsNeverYieldWrongContent() {
        for data in [TestData.text(2_000, seed: 3), TestData.random(300, seed: 4)] {
            let bytes = ChunkFrame(encoding: data).bytes
            var harmless: [Int] = []
            for bit in 0..<bytes.count * 8 {
                var damaged = bytes
                damaged[bit / 8] ^= 1 << UInt8(bit % 8)
                guard let decoded = try? ChunkFrame(parsing: damaged).decode() else { continue }
                #expect(decoded == data, "flipping bit \(bit) of \(bytes.count * 8) changed the content")
                harmless.append(bit)
            }
            #expect(harmless.allSatisfy { $0 >= ChunkFrame.headerSize * 8 }, "every header bit is checked")
            #expect(harmless.count <= 4, "harmless flips: \(harmless)")
        }
    }

    @Test func contentThatIsNotItsIdIsRejected() throws {
        let data = TestData.text(10_000, seed: 5)
        let frame = ChunkFrame(encoding: data)
        let other = ChunkID(of: [1, 2, 3])
        let forged = forgeFrame(frame.bytes, id: other)
        let parsed = try ChunkFrame(parsing: forged)  // the cheap checks pass...
        #expect(throws: ReplicationError.idMismatch(expected: other, actual: frame.id)) { try parsed.decode() }
        // ...and a raw frame whose payload was replaced too.
        let raw = ChunkFrame(encoding: TestData.random(1_000, seed: 6))
        let replacement = TestData.random(1_000, seed: 7)
        let swapped = forgeFrame(raw.bytes, payload: replacement)
        #expect(throws: ReplicationError.idMismatch(expected: raw.id, actual: ChunkID(of: replacement))) {
            try ChunkFrame(parsing: swapped).decode()
        }
    }

    @Test func lengthsAreBoundedBeforeAllocating() {
        let frame = ChunkFrame(encoding: TestData.text(10_000, seed: 8))
        #expect(rejection(frame.bytes, maxRawLength: 9_999) == .chunkTooLarge(length: 10_000, limit: 9_999))
        let huge = forgeFrame(frame.bytes, rawLength: UInt32.max)
        #expect(rejection(huge) == .chunkTooLarge(length: Int(UInt32.max), limit: ChunkerOptions.maxBytesLimit))
        // An lz4 frame claiming more raw bytes than its block decodes to.
        let liar = forgeFrame(frame.bytes, rawLength: 20_000)
        #expect(rejection(liar) == .corruptFrame("lz4 payload does not decode to 20000 bytes"))
        // A raw frame claiming to be lz4 (payload no shorter than raw): refused by the length rule.
        let raw = ChunkFrame(encoding: TestData.random(500, seed: 9))
        #expect(rejection(forgeFrame(raw.bytes, codec: 1)) == .corruptFrame("lz4 payload of 500 bytes for a chunk of 500"))
        #expect(rejection(forgeFrame(raw.bytes, codec: 9)) == .corruptFrame("unknown codec 9"))
        var future = raw.bytes
        future[4] = 2
        #expect(rejection(future) == .unsupportedFrameVersion(2))
    }

    /// Decoders must never crash on arbitrary input: random bytes, random bytes behind a valid-looking
    /// header, and lz4 frames whose payload is noise behind a valid header (so the lz4 decoder sees it).
    @Test("garbage never crashes the decoder", arguments: Seeds.ci(4))
    func garbageIsRejected(seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        let template = ChunkFrame(encoding: TestData.text(4_000, seed: seed)).bytes
        for round in 0..<2_000 {
            let length = Int(generator.next() % 600)
            let noise = TestData.random(length, seed: seed &* 1_000_003 &+ UInt64(round))
            #expect(rejection(noise) != nil, "REPL_SEED=\(seed) round \(round)")
            let rawLength = UInt32(length + 1 + Int(generator.next() % 100_000))
            let forged = forgeFrame(template, codec: 1, rawLength: rawLength, payload: noise)
            let error = rejection(forged)
            #expect(error != nil, "noise accepted as an lz4 frame; REPL_SEED=\(seed) round \(round)")
            if length > 0, case .corruptFrame = error {} else if length > 0, case .idMismatch = error {} else if length > 0 {
                Issue.record("unexpected \(String(describing: error)); REPL_SEED=\(seed) round \(round)")
            }
        }
    }
}

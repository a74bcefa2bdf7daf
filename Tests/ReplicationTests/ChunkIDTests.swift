import Testing
@testable import Replication

@Suite struct ChunkIDTests {
    @Test func knownDigestOfEmptyInput() {
        let id = ChunkID(of: [UInt8]())
        #expect(id.hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(id.prefix64 == 0xe3b0_c442_98fc_1c14)
    }

    @Test func hexRoundTripsAndRejectsGarbage() {
        let id = ChunkID(of: Array("hello".utf8))
        #expect(ChunkID(hex: id.hex) == id)
        #expect(ChunkID(hex: id.hex.uppercased()) == id)
        #expect(ChunkID(hex: String(id.hex.dropLast())) == nil)
        #expect(ChunkID(hex: String(id.hex.dropLast()) + "g") == nil)
        #expect(ChunkID(hex: id.hex + "0") == nil)
        #expect(ChunkID(bytes: [1, 2, 3]) == nil)
        #expect(ChunkID(bytes: id.bytes) == id)
        #expect(id.bytes.count == 32)
    }

    @Test("ids order like their bytes and their hex", arguments: Seeds.ci(3))
    func orderMatchesBytes(seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        var ids = (0..<200).map { _ in ChunkID.random(&generator) }
        // Ids sharing leading words, so the later words decide.
        ids.append(ChunkID(bytes: Array(ids[0].bytes.prefix(8)) + Array(ids[1].bytes.suffix(24)))!)
        ids.append(ChunkID(bytes: Array(ids[0].bytes.prefix(24)) + Array(ids[1].bytes.suffix(8)))!)
        let byBytes = ids.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
        #expect(ids.sorted() == byBytes, "REPL_SEED=\(seed)")
        #expect(ids.sorted().map(\.hex) == ids.map(\.hex).sorted(), "REPL_SEED=\(seed)")
    }
}

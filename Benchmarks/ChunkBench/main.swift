// chunk-bench: single-core throughput of the write path (content-defined chunking, SHA-256 ids, lz4
// frames) and of the read path (frame parse, lz4 decompress, id check), on random and text-like data.
//
//   swift run -c release chunk-bench [--mib N] [--rounds N]
//   chunk-bench --emit-text FILE --mib N      writes N MiB of the text-like data set to FILE and exits
//   chunk-bench --emit-random FILE --mib N    the same for the random data set
//
// Rates are MiB of raw input per second, best of the rounds; each stage includes the ones before it.
import Glibc
import Replication

struct Arguments {
    var mebibytes = 128
    var rounds = 3
    var emitText: String?
    var emitRandom: String?

    init(_ arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--mib": mebibytes = iterator.next().flatMap(Int.init) ?? mebibytes
            case "--rounds": rounds = iterator.next().flatMap(Int.init) ?? rounds
            case "--emit-text": emitText = iterator.next()
            case "--emit-random": emitRandom = iterator.next()
            default:
                print("usage: chunk-bench [--mib N] [--rounds N] | --emit-text FILE --mib N | --emit-random FILE --mib N")
                exit(2)
            }
        }
    }
}

/// SplitMix64, so every run measures the same bytes.
struct Generator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var generator = Generator(state: seed)
    return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
        let raw = UnsafeMutableRawBufferPointer(buffer)
        var offset = 0
        while offset + 8 <= count {
            raw.storeBytes(of: generator.next(), toByteOffset: offset, as: UInt64.self)
            offset += 8
        }
        while offset < count {
            raw[offset] = UInt8(truncatingIfNeeded: generator.next())
            offset += 1
        }
        initialized = count
    }
}

/// Words from a 5,000-word seeded vocabulary with a skewed frequency, spaces and newlines: compresses
/// roughly like English prose.
func textBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var generator = Generator(state: seed)
    let letters = Array("etaoinshrdlcumwfgypbvkjxqz".utf8)
    let vocabulary: [[UInt8]] = (0..<5_000).map { _ in
        (0..<(2 + Int(generator.next() % 9))).map { _ in
            let r = Double(generator.next() % 1_000) / 1_000
            return letters[Int(r * r * Double(letters.count))]
        }
    }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(count + 16)
    while bytes.count < count {
        let r = Double(generator.next() % 1_000_000) / 1_000_000
        bytes += vocabulary[Int(r * r * r * Double(vocabulary.count))]
        bytes.append(generator.next() % 12 == 0 ? 0x0A : 0x20)
    }
    return Array(bytes.prefix(count))
}

/// Feeds `data` to a chunker in 64 KiB pieces, as a network stream would arrive, calling `body` per chunk.
func chunkStream(_ data: [UInt8], _ body: ([UInt8]) -> Void) {
    var chunker = Chunker()
    data.withUnsafeBytes { buffer in
        var offset = 0
        while offset < buffer.count {
            let end = min(buffer.count, offset + (64 << 10))
            chunker.append(UnsafeRawBufferPointer(rebasing: buffer[offset..<end])) { body($0) }
            offset = end
        }
    }
    if let tail = chunker.finish() { body(tail) }
}

func best(rounds: Int, bytes: Int, _ work: () -> Void) -> Double {
    let clock = ContinuousClock()
    var fastest = Duration.seconds(1_000_000)
    for _ in 0..<rounds { fastest = min(fastest, clock.measure(work)) }
    let seconds = Double(fastest.components.seconds) + Double(fastest.components.attoseconds) / 1e18
    return Double(bytes) / 1_048_576 / seconds
}

func pad(_ text: String, _ width: Int) -> String {
    String(repeating: " ", count: max(0, width - text.count)) + text
}

func format(_ value: Double, decimals: Int = 0) -> String {
    let scale = decimals == 0 ? 1.0 : 100.0
    let rounded = (value * scale).rounded() / scale
    return decimals == 0 ? String(Int(rounded)) : String(rounded)
}

let arguments = Arguments(CommandLine.arguments)

/// Writes `bytes` to `path` (for scripts/bench.sh, which feeds the same data to pachctl and lz4).
func emit(_ bytes: [UInt8], to path: String) -> Never {
    guard let file = fopen(path, "wb") else {
        print("chunk-bench: cannot write \(path)")
        exit(1)
    }
    let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
    fclose(file)
    exit(written == bytes.count ? 0 : 1)
}
if let path = arguments.emitText { emit(textBytes(arguments.mebibytes << 20, seed: 2), to: path) }
if let path = arguments.emitRandom { emit(randomBytes(arguments.mebibytes << 20, seed: 1), to: path) }
let size = arguments.mebibytes << 20
print("chunk-bench: \(arguments.mebibytes) MiB per data set, best of \(arguments.rounds), one core")
print("chunker: \(ChunkerOptions.standard)")
print("")
let header = ["data", "chunks", "avg KiB", "chunk", "+sha256", "+lz4 frame", "stored %", "decode+verify"]
let widths = [8, 8, 9, 9, 9, 12, 10, 15]
print(zip(header, widths).map { pad($0, $1) }.joined())
print(zip(["", "", "", "MiB/s", "MiB/s", "MiB/s", "", "MiB/s"], widths).map { pad($0, $1) }.joined())

for (name, data) in [("random", randomBytes(size, seed: 1)), ("text", textBytes(size, seed: 2))] {
    var chunkCount = 0
    let chunkRate = best(rounds: arguments.rounds, bytes: size) {
        chunkCount = 0
        chunkStream(data) { _ in chunkCount += 1 }
    }
    var sink: UInt64 = 0
    let hashRate = best(rounds: arguments.rounds, bytes: size) {
        chunkStream(data) { sink &+= ChunkID(of: $0).prefix64 }
    }
    // Frames are dropped as they are made, as a streaming writer drops them once sent: holding them all
    // would measure page faults of fresh memory instead.
    var stored = 0
    let frameRate = best(rounds: arguments.rounds, bytes: size) {
        stored = 0
        chunkStream(data) { stored += ChunkFrame(encoding: $0).storedLength }
    }
    var frames: [ChunkFrame] = []
    chunkStream(data) { frames.append(ChunkFrame(encoding: $0)) }
    let decodeRate = best(rounds: arguments.rounds, bytes: size) {
        for frame in frames {
            do {
                let parsed = try ChunkFrame(parsing: frame.bytes)
                sink &+= UInt64(try parsed.decode().count)
            } catch {
                fatalError("decode failed: \(error)")
            }
        }
    }
    let row = [name, String(chunkCount), format(Double(size) / Double(chunkCount) / 1024), format(chunkRate),
               format(hashRate), format(frameRate), format(100 * Double(stored) / Double(size), decimals: 2), format(decodeRate)]
    print(zip(row, widths).map { pad($0, $1) }.joined())
    if sink == 42 { print("") }  // keeps the work observable
}

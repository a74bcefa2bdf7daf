import Raft

/// A chunk as it is stored on disk and sent between nodes: a fixed header, then the chunk's bytes,
/// lz4-compressed, or raw when compression would not make them smaller.
///
/// Layout (format version 1), integers little-endian:
/// ```
/// offset size
///      0    4  magic "PCHF" (0x46484350)
///      4    1  format version (1)
///      5    1  codec: 0 raw, 1 lz4 (an lz4 block, as LZ4_compress_default writes it)
///      6    2  flags (0; anything else is refused)
///      8    4  raw length: bytes of the chunk
///     12    4  payload length: bytes after the header (= raw length when raw, < raw length when lz4)
///     16   32  chunk id: SHA-256 of the raw bytes
///     48    4  CRC-32C of header bytes 0..<48
///     52       payload
/// ```
/// The header has its own checksum so a damaged length or id is never trusted. The payload has none:
/// every decode hashes the decoded bytes and compares them with the id, which catches any damage a
/// CRC would, and a payload CRC cost a third of the write path's time (measured with chunk-bench).
/// Malformed lz4 is safe to feed to `LZ4_decompress_safe`.
///
/// Parsing never trusts a length before bounding it by `maxRawLength`, so arbitrary input cannot make a
/// decoder allocate without limit, read out of bounds or crash.
public struct ChunkFrame: Sendable, Equatable {
    /// How the payload holds the chunk's bytes.
    public enum Codec: UInt8, Sendable, Equatable {
        /// The payload is the chunk itself.
        case raw = 0
        /// The payload is one lz4 block.
        case lz4 = 1
    }

    /// Bytes before the payload.
    public static let headerSize = 52
    static let magic: UInt32 = 0x4648_4350  // "PCHF" as little-endian bytes
    static let version: UInt8 = 1

    /// The chunk's id (SHA-256 of its raw bytes).
    public let id: ChunkID
    /// How the payload is encoded.
    public let codec: Codec
    /// Bytes of the chunk once decoded.
    public let rawLength: Int
    /// The whole frame, header and payload: what a store writes and a peer sends.
    public let bytes: [UInt8]

    /// Bytes the frame takes on disk or the wire (header included).
    public var storedLength: Int { bytes.count }

    /// The frame of `data`: computes its id, compresses with `LZ4_compress_default`, and keeps the bytes
    /// raw when lz4 does not make them smaller.
    ///
    /// `data` MUST be at most `ChunkerOptions.maxBytesLimit` bytes (a chunker never makes more).
    public init(encoding data: [UInt8]) {
        self = data.withUnsafeBytes { ChunkFrame(encoding: $0) }
    }

    /// The frame of the bytes in `data`; see `init(encoding:)`.
    public init(encoding data: UnsafeRawBufferPointer) {
        precondition(data.count <= ChunkerOptions.maxBytesLimit,
                     "a chunk of \(data.count) bytes is over the limit of \(ChunkerOptions.maxBytesLimit)")
        let id = ChunkID(of: data)
        let headerSize = Self.headerSize
        let capacity = headerSize + max(data.count, LZ4.compressBound(data.count))
        var codec = Codec.raw
        var frame = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
            let whole = UnsafeMutableRawBufferPointer(buffer)
            let payload = UnsafeMutableRawBufferPointer(rebasing: whole[headerSize...])
            var payloadLength = data.count
            if let compressed = LZ4.compress(data, into: payload), compressed < data.count {
                codec = .lz4
                payloadLength = compressed
            } else if data.count > 0 {
                payload.baseAddress!.copyMemory(from: data.baseAddress!, byteCount: data.count)
            }
            Self.writeHeader(into: whole, id: id, codec: codec, rawLength: data.count, payloadLength: payloadLength)
            initialized = headerSize + payloadLength
        }
        // A well-compressed frame would otherwise keep the whole worst-case allocation alive. (A copy
        // made with `Array(frame)` would share the same storage, hence the explicit one.)
        if frame.count < frame.capacity * 3 / 4 {
            let source = frame
            frame = [UInt8](unsafeUninitializedCapacity: source.count) { buffer, initialized in
                _ = source.withUnsafeBufferPointer { buffer.initialize(from: $0) }
                initialized = source.count
            }
        }
        self.id = id
        self.codec = codec
        rawLength = data.count
        bytes = frame
    }

    /// A frame read from disk or the wire, after checking its header and lengths (not yet its content:
    /// `decode()` does that).
    ///
    /// - Parameter maxRawLength: the longest chunk accepted; longer ones are refused before allocating.
    /// - Throws: `.truncatedFrame`, `.corruptFrame`, `.unsupportedFrameVersion` or `.chunkTooLarge`.
    public init(parsing bytes: [UInt8], maxRawLength: Int = ChunkerOptions.maxBytesLimit) throws(ReplicationError) {
        let header = try withUnsafeBytesTyped(bytes) { (buffer) throws(ReplicationError) -> Header in
            let header = try Header(parsing: buffer, maxRawLength: maxRawLength)
            let frameLength = Self.headerSize + header.payloadLength
            guard buffer.count >= frameLength else { throw .truncatedFrame(needed: frameLength, available: buffer.count) }
            guard buffer.count == frameLength else {
                throw .corruptFrame("\(buffer.count - frameLength) bytes follow the payload")
            }
            return header
        }
        id = header.id
        codec = header.codec
        rawLength = header.rawLength
        self.bytes = bytes
    }

    /// The chunk's bytes, after checking that their SHA-256 is `id`.
    ///
    /// - Throws: `.corruptFrame` when the lz4 block is malformed or does not decode to exactly
    ///   `rawLength` bytes; `.idMismatch` when the bytes are not the chunk the frame names.
    public func decode() throws(ReplicationError) -> [UInt8] {
        let data = try withUnsafeBytesTyped(bytes) { (frame) throws(ReplicationError) -> [UInt8] in
            let payload = UnsafeRawBufferPointer(rebasing: frame[Self.headerSize...])
            switch codec {
            case .raw:
                return Array(payload)
            case .lz4:
                var decoded = true
                let data = [UInt8](unsafeUninitializedCapacity: rawLength) { buffer, initialized in
                    let written = LZ4.decompress(payload, into: UnsafeMutableRawBufferPointer(buffer))
                    decoded = written == rawLength
                    initialized = decoded ? rawLength : 0
                }
                guard decoded else { throw .corruptFrame("lz4 payload does not decode to \(rawLength) bytes") }
                return data
            }
        }
        let actual = ChunkID(of: data)
        guard actual == id else { throw .idMismatch(expected: id, actual: actual) }
        return data
    }

    /// Checks the frame's content against its id without keeping the decoded bytes.
    public func verify() throws(ReplicationError) {
        _ = try decode()
    }

    private static func writeHeader(
        into frame: UnsafeMutableRawBufferPointer, id: ChunkID, codec: Codec, rawLength: Int, payloadLength: Int
    ) {
        frame.storeBytes(of: magic.littleEndian, toByteOffset: 0, as: UInt32.self)
        frame.storeBytes(of: version, toByteOffset: 4, as: UInt8.self)
        frame.storeBytes(of: codec.rawValue, toByteOffset: 5, as: UInt8.self)
        frame.storeBytes(of: UInt16(0), toByteOffset: 6, as: UInt16.self)
        frame.storeBytes(of: UInt32(rawLength).littleEndian, toByteOffset: 8, as: UInt32.self)
        frame.storeBytes(of: UInt32(payloadLength).littleEndian, toByteOffset: 12, as: UInt32.self)
        id.write(to: frame.baseAddress! + 16)
        let headerCRC = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: frame[..<48]))
        frame.storeBytes(of: headerCRC.littleEndian, toByteOffset: 48, as: UInt32.self)
    }
}

extension ChunkFrame {
    /// The fixed part of a frame, checked on its own: what a store reads to index a file without reading
    /// the payload.
    struct Header: Sendable, Equatable {
        var id: ChunkID
        var codec: Codec
        var rawLength: Int
        var payloadLength: Int

        /// The header at the start of `buffer` (which may hold more), with magic, version, flags, header
        /// CRC and lengths checked; the payload is not looked at.
        init(parsing buffer: UnsafeRawBufferPointer, maxRawLength: Int) throws(ReplicationError) {
            let size = ChunkFrame.headerSize
            guard buffer.count >= size else { throw .truncatedFrame(needed: size, available: buffer.count) }
            func u32(_ offset: Int) -> UInt32 {
                UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
            }
            guard u32(0) == ChunkFrame.magic else { throw .corruptFrame("bad magic \(u32(0))") }
            let version = buffer[4]
            guard version <= ChunkFrame.version else { throw .unsupportedFrameVersion(version) }
            guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: buffer[..<48])) == u32(48) else {
                throw .corruptFrame("header checksum mismatch")
            }
            guard version == ChunkFrame.version else { throw .corruptFrame("format version \(version)") }
            guard let codec = Codec(rawValue: buffer[5]) else { throw .corruptFrame("unknown codec \(buffer[5])") }
            let flags = UInt16(buffer[6]) | UInt16(buffer[7]) << 8
            guard flags == 0 else { throw .corruptFrame("unknown flags \(flags)") }
            let rawLength = Int(u32(8))
            let payloadLength = Int(u32(12))
            let limit = min(maxRawLength, ChunkerOptions.maxBytesLimit)
            guard rawLength <= limit else { throw .chunkTooLarge(length: rawLength, limit: limit) }
            switch codec {
            case .raw:
                guard payloadLength == rawLength else {
                    throw .corruptFrame("raw payload of \(payloadLength) bytes for a chunk of \(rawLength)")
                }
            case .lz4:
                guard payloadLength > 0, payloadLength < rawLength else {
                    throw .corruptFrame("lz4 payload of \(payloadLength) bytes for a chunk of \(rawLength)")
                }
            }
            self.id = ChunkID(digest: UnsafeRawBufferPointer(rebasing: buffer[16..<48]))
            self.codec = codec
            self.rawLength = rawLength
            self.payloadLength = payloadLength
        }
    }
}

import Raft
import Replication

/// A file's contents as stored: the ordered chunks whose concatenation is the bytes. The object itself is
/// stored as one more chunk (its `encoded` bytes), so an object is named by a chunk id too, and equal
/// contents give equal ids (DESIGN.md: "file objects: ordered chunk ids and size").
///
/// Format (version 1): the magic `PFO`, a version byte, the piece count (UInt32), then per piece the
/// 32 id bytes and the raw length (UInt32); little-endian. With chunks of ~1 MiB, one object of 64 MiB
/// (the largest chunk a store accepts) lists ~1.8 million pieces, i.e. files up to ~1.8 TiB.
public struct FileObject: Sendable, Hashable {
    /// One chunk of the file.
    public struct Piece: Sendable, Hashable {
        public var chunk: ChunkID
        public var sizeBytes: Int

        public init(chunk: ChunkID, sizeBytes: Int) {
            self.chunk = chunk
            self.sizeBytes = sizeBytes
        }
    }

    /// The version this code writes and the only one it reads.
    public static let formatVersion: UInt8 = 1
    private static let magic: [UInt8] = Array("PFO".utf8)
    /// Bytes per piece in `encoded`.
    static let pieceBytes = 36

    /// The chunks in file order.
    public var pieces: [Piece]

    public init(pieces: [Piece]) {
        self.pieces = pieces
    }

    /// The file's length: the sum of its pieces.
    public var sizeBytes: UInt64 {
        pieces.reduce(0) { $0 + UInt64($1.sizeBytes) }
    }

    /// The stored form.
    public var encoded: [UInt8] {
        var writer = ByteWriter(capacity: 8 + pieces.count * Self.pieceBytes)
        writer.append(contentsOf: Self.magic)
        writer.append(Self.formatVersion)
        writer.append(UInt32(pieces.count))
        for piece in pieces {
            writer.append(contentsOf: piece.chunk.bytes)
            writer.append(UInt32(piece.sizeBytes))
        }
        return writer.bytes
    }

    /// Decodes `encoded`; `malformed` or `unsupportedVersion` for anything else (the bytes come from the
    /// chunk store, verified against their id, but may be a chunk that is not an object at all).
    public init(decoding bytes: [UInt8]) throws(PFSError) {
        var reader = ByteReader(bytes)
        do {
            guard try reader.readBytes(count: 3) == Self.magic else { throw PFSError.malformed("not a file object (bad magic)") }
            let version = try reader.readUInt8()
            guard version == Self.formatVersion else {
                throw PFSError.unsupportedVersion(what: "a file object", version: version)
            }
            let count = Int(try reader.readUInt32())
            guard count * Self.pieceBytes == reader.remaining else {
                throw PFSError.malformed("file object claims \(count) pieces in \(reader.remaining) bytes")
            }
            var pieces: [Piece] = []
            pieces.reserveCapacity(count)
            for _ in 0..<count {
                guard let id = ChunkID(bytes: try reader.readBytes(count: 32)) else { throw PFSError.malformed("bad chunk id") }
                pieces.append(Piece(chunk: id, sizeBytes: Int(try reader.readUInt32())))
            }
            self.pieces = pieces
        } catch let error as PFSError {
            throw error
        } catch {
            throw .malformed("file object: \(error)")
        }
    }
}

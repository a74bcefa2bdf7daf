import Replication

/// One change an open commit has staged, in the order the user made it. Kept in the Raft metadata (it is
/// small: a path and an id, never file contents) until finish-commit folds the list into a new tree with
/// `TreeBuilder`.
///
/// Append is not a change of its own: the caller reads the current file object, appends the new pieces
/// and stages a `put` of the combined object.
public enum StagedChange: Sendable, Hashable, CustomStringConvertible {
    /// Puts a file at the path, replacing a file there. An error when the path or one of its ancestors
    /// is a directory / a file, respectively.
    case put(PFSPath, file: ChunkID, sizeBytes: UInt64)
    /// Removes the file or the whole directory at the path; nothing when there is none (as in Pachyderm).
    case delete(PFSPath)

    /// The path the change is about.
    public var path: PFSPath {
        switch self {
        case .put(let path, _, _), .delete(let path): return path
        }
    }

    public var description: String {
        switch self {
        case .put(let path, let file, let size): return "put \(path) \(file.hex.prefix(12)) \(size)B"
        case .delete(let path): return "delete \(path)"
        }
    }
}

extension StagedChange {
    private static let putTag: UInt8 = 1
    private static let deleteTag: UInt8 = 2

    /// Writes the change for a metadata command or snapshot: a tag byte, the path text, and for a put the
    /// 32 id bytes and the size.
    func write(to writer: inout BinaryWriter) {
        switch self {
        case .put(let path, let file, let size):
            writer.write(Self.putTag)
            writer.write(path.description)
            for byte in file.bytes { writer.write(byte) }
            writer.write(size)
        case .delete(let path):
            writer.write(Self.deleteTag)
            writer.write(path.description)
        }
    }

    /// Reads what `write(to:)` wrote; a path that no longer parses is `malformed` (it was valid when
    /// written, so it is corruption).
    static func read(from reader: inout BinaryReader) throws(PFSError) -> StagedChange {
        let tag = try reader.readUInt8()
        let text = try reader.readString()
        let path: PFSPath
        do {
            path = try PFSPath(text)
        } catch {
            throw .malformed("stored staged path: \(error)")
        }
        guard path.description == text else { throw .malformed("stored staged path '\(text)' is not normalized") }
        switch tag {
        case putTag:
            var idBytes: [UInt8] = []
            for _ in 0..<32 { idBytes.append(try reader.readUInt8()) }
            let size = try reader.readUInt64()
            return .put(path, file: ChunkID(bytes: idBytes)!, sizeBytes: size)
        case deleteTag:
            return .delete(path)
        default:
            throw .malformed("staged change tag \(tag); expected 1 (put) or 2 (delete)")
        }
    }
}

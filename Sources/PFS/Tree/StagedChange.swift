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
    /// Places a stored directory (a `TreeObject` id with its total size) at the path, as copy-file does
    /// for a directory: by reference, nothing below it is read. Refused where a put of a file would be,
    /// and onto an existing entry (the caller deletes it first).
    case graft(PFSPath, tree: ChunkID, sizeBytes: UInt64)

    /// The path the change is about.
    public var path: PFSPath {
        switch self {
        case .put(let path, _, _), .delete(let path), .graft(let path, _, _): return path
        }
    }

    public var description: String {
        switch self {
        case .put(let path, let file, let size): return "put \(path) \(file.hex.prefix(12)) \(size)B"
        case .delete(let path): return "delete \(path)"
        case .graft(let path, let tree, let size): return "graft \(path) \(tree.hex.prefix(12)) \(size)B"
        }
    }
}

extension StagedChange {
    private static let putTag: UInt8 = 1
    private static let deleteTag: UInt8 = 2
    private static let graftTag: UInt8 = 3

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
        case .graft(let path, let tree, let size):
            writer.write(Self.graftTag)
            writer.write(path.description)
            for byte in tree.bytes { writer.write(byte) }
            writer.write(size)
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
            return .put(path, file: try reader.readChunkID(), sizeBytes: try reader.readUInt64())
        case deleteTag:
            return .delete(path)
        case graftTag:
            return .graft(path, tree: try reader.readChunkID(), sizeBytes: try reader.readUInt64())
        default:
            throw .malformed("staged change tag \(tag); expected 1 (put), 2 (delete) or 3 (graft)")
        }
    }
}

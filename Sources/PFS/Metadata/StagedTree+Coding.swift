import Replication

/// Byte formats of staged state: writes inside stage commands, and whole tries inside snapshots.
///
/// A trie is written in pre-order: its `version`, then per node a flags byte (1 cleared, 2 has content,
/// 4 the content is a directory), the content's 32 id bytes and size when present, `changedAt`,
/// `subtreeChangedAt`, the child count, and each child's name followed by the child, by name bytes. The
/// counts are not written: decoding recomputes them, and checks what must hold (no empty node below
/// the root, valid names, versions that agree), so a corrupt image is refused.
extension BinaryWriter {
    mutating func write(_ id: ChunkID) {
        for byte in id.bytes { write(byte) }
    }

    mutating func write(_ path: PFSPath) {
        write(path.description)
    }

    mutating func write(_ content: StagedTree.Content) {
        switch content {
        case .file(let id, let size):
            write(UInt8(1))
            write(id)
            write(size)
        case .directory(let id, let size):
            write(UInt8(2))
            write(id)
            write(size)
        }
    }

    mutating func write(_ staged: StagedTree.Write) {
        switch staged {
        case .put(let path, let content):
            write(UInt8(1))
            write(path)
            write(content)
        case .delete(let path):
            write(UInt8(2))
            write(path)
        }
    }

    mutating func write(_ tree: StagedTree) {
        write(tree.version)
        write(tree.root)
    }

    private mutating func write(_ node: StagedTree.Node) {
        var flags: UInt8 = node.cleared ? 1 : 0
        if let content = node.content { flags |= content.isFile ? 2 : 6 }
        write(flags)
        if let content = node.content {
            write(content.id)
            write(content.sizeBytes)
        }
        write(node.changedAt)
        write(node.subtreeChangedAt)
        let children = node.children.sorted { $0.key < $1.key }
        write(UInt32(children.count))
        for (key, child) in children {
            write(key.text)
            write(child)
        }
    }
}

extension BinaryReader {
    mutating func readChunkID() throws(PFSError) -> ChunkID {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for _ in 0..<32 { bytes.append(try readUInt8()) }
        return ChunkID(bytes: bytes)!
    }

    /// A path written by `write(_: PFSPath)`: it must parse and be written normalized.
    mutating func readPath() throws(PFSError) -> PFSPath {
        let text = try readString()
        let path: PFSPath
        do { path = try PFSPath(text) } catch { throw .malformed("stored path: \(error)") }
        guard path.description == text else { throw .malformed("stored path '\(text)' is not normalized") }
        return path
    }

    mutating func readStagedContent() throws(PFSError) -> StagedTree.Content {
        switch try readUInt8() {
        case 1: return .file(try readChunkID(), sizeBytes: try readUInt64())
        case 2: return .directory(try readChunkID(), sizeBytes: try readUInt64())
        case let other: throw .malformed("staged content tag \(other); expected 1 (file) or 2 (directory)")
        }
    }

    mutating func readStagedWrite() throws(PFSError) -> StagedTree.Write {
        switch try readUInt8() {
        case 1: return .put(try readPath(), try readStagedContent())
        case 2: return .delete(try readPath())
        case let other: throw .malformed("staged write tag \(other); expected 1 (put) or 2 (delete)")
        }
    }

    mutating func readStagedTree() throws(PFSError) -> StagedTree {
        var tree = StagedTree()
        let version = try readUInt64()
        tree.root = try readStagedNode(depth: 0, version: version)
        tree.setVersion(version)
        return tree
    }

    private mutating func readStagedNode(depth: Int, version: UInt64) throws(PFSError) -> StagedTree.Node {
        var node = StagedTree.Node()
        let flags = try readUInt8()
        guard flags & ~7 == 0, flags & 6 != 4 else { throw .malformed("staged node flags \(flags)") }
        node.cleared = flags & 1 != 0
        if flags & 2 != 0 {
            let id = try readChunkID()
            let size = try readUInt64()
            node.content = flags & 4 != 0 ? .directory(id, sizeBytes: size) : .file(id, sizeBytes: size)
        }
        node.changedAt = try readUInt64()
        node.subtreeChangedAt = try readUInt64()
        guard node.changedAt <= node.subtreeChangedAt, node.subtreeChangedAt <= version else {
            throw .malformed("staged node versions \(node.changedAt)/\(node.subtreeChangedAt) past \(version)")
        }
        let count = try readUInt32()
        guard count == 0 || depth < PathRules.maxDepth else { throw .malformed("staged paths deeper than the limit") }
        guard count == 0 || !node.isFile else { throw .malformed("a staged file has staged children") }
        var previous: NameKey?
        for _ in 0..<count {
            let name = try readString()
            if let problem = PathRules.problem(withName: name) { throw .malformed("staged name '\(name)': \(problem)") }
            let key = NameKey(name)
            if let previous, !(previous < key) { throw .malformed("staged names out of order at '\(name)'") }
            previous = key
            let child = try readStagedNode(depth: depth + 1, version: version)
            guard !child.isEmpty else { throw .malformed("an empty staged node '\(name)'") }
            guard child.subtreeChangedAt <= node.subtreeChangedAt else {
                throw .malformed("staged node '\(name)' changed after its parent's subtree")
            }
            node.contentBelow += child.contentBelow + (child.content == nil ? 0 : 1)
            node.nodesBelow += child.nodesBelow + 1
            node.children[key] = child
        }
        return node
    }
}

extension StagedTree.Node {
    var isFile: Bool { content?.isFile ?? false }
}

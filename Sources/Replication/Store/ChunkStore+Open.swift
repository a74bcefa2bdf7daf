import Logging

extension ChunkStore {
    /// Removes everything in `tmp/`: frames whose `put` never reached its rename.
    func removeTemporaryFiles() throws(ReplicationError) {
        let folder = "\(directory)/tmp"
        let names = try FileSystem.list(folder)
        for name in names { try FileSystem.remove("\(folder)/\(name)") }
        guard !names.isEmpty else { return }
        try FileSystem.syncDirectory(folder)
        logger.debug("removed unfinished writes", metadata: ["replication.count": "\(names.count)"])
    }

    /// The index of every chunk file under `chunks/`, from headers only. Files with a damaged header, a
    /// size that disagrees with it or a name that is not their id are quarantined.
    func scanChunks() throws(ReplicationError) -> ChunkIndex {
        var index = ChunkIndex()
        let root = "\(directory)/chunks"
        for first in try FileSystem.list(root) where Self.isHexPair(first) {
            for second in try FileSystem.list("\(root)/\(first)") where Self.isHexPair(second) {
                let folder = "\(root)/\(first)/\(second)"
                for name in try FileSystem.list(folder) {
                    let path = "\(folder)/\(name)"
                    guard let id = ChunkID(hex: name), id.hex == name, name.hasPrefix(first + second) else {
                        try moveToQuarantine(path, name: name, reason: "not a chunk file name here")
                        continue
                    }
                    switch try readEntry(path, id: id) {
                    case .success(let entry): index.insert(entry)
                    case .failure(let reason): try moveToQuarantine(path, name: name, reason: reason.message)
                    }
                }
            }
        }
        logger.debug("opened chunk store", metadata: [
            "replication.directory": "\(directory)", "replication.chunks": "\(index.count)",
        ])
        return index
    }

    /// Why a chunk file cannot be indexed.
    struct Unusable: Error {
        var message: String
    }

    /// The index entry for the file at `path`, from its header and size.
    private func readEntry(_ path: String, id: ChunkID) throws(ReplicationError) -> Result<ChunkIndex.Entry, Unusable> {
        let file = try SystemFile.open(path, flags: 0)  // O_RDONLY
        let size = try file.size()
        let bytes = try file.read(count: ChunkFrame.headerSize, at: 0)
        let header: ChunkFrame.Header
        do throws(ReplicationError) {
            header = try withUnsafeBytesTyped(bytes) { buffer throws(ReplicationError) in
                try ChunkFrame.Header(parsing: buffer, maxRawLength: options.maxChunkBytes)
            }
        } catch {
            return .failure(Unusable(message: error.description))
        }
        guard header.id == id else { return .failure(Unusable(message: "the header names chunk \(header.id)")) }
        let expected = ChunkFrame.headerSize + header.payloadLength
        guard size == expected else { return .failure(Unusable(message: "file of \(size) bytes, frame of \(expected)")) }
        // Times of use are not kept across restarts: every chunk counts as used when the store opens.
        return .success(ChunkIndex.Entry(id: id, rawLength: header.rawLength, storedLength: size, touchedAtNanos: clock()))
    }

    /// Two lowercase hex digits: the name of a fan-out directory.
    static func isHexPair(_ name: String) -> Bool {
        name.utf8.count == 2 && name.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}

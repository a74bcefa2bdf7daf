import Raft
import Replication

extension TreeObject {
    /// Decodes `encoded`; `malformed` or `unsupportedVersion` for anything else. The bytes come from the
    /// chunk store, verified against their id, but may be a chunk that is not a tree object, or one a
    /// buggy or hostile writer made, so every rule is checked: kinds, names, strict order, the size sum,
    /// and no trailing bytes.
    public init(decoding bytes: [UInt8]) throws(PFSError) {
        var reader = ByteReader(bytes)
        do {
            guard try reader.readBytes(count: 3) == Self.magic else { throw PFSError.malformed("not a tree object (bad magic)") }
            let version = try reader.readUInt8()
            guard version == Self.formatVersion else {
                throw PFSError.unsupportedVersion(what: "a tree object", version: version)
            }
            let count = Int(try reader.readUInt32())
            guard count > 0 else { throw PFSError.malformed("tree object has no entries (empty directories are never stored)") }
            // Each entry takes at least its fixed bytes, so a corrupt count cannot make us reserve
            // gigabytes.
            guard count <= reader.remaining / Self.entryFixedBytes else {
                throw PFSError.malformed("tree object claims \(count) entries in \(reader.remaining) bytes")
            }
            var entries: [Entry] = []
            entries.reserveCapacity(count)
            for index in 0..<count {
                let entry = try Self.readEntry(&reader, index: index)
                if let previous = entries.last, !PathRules.nameBefore(previous.name, entry.name) {
                    throw PFSError.malformed("tree object entry \(index) '\(PathRules.escaped(entry.name))' is not after "
                                             + "'\(PathRules.escaped(previous.name))' (names must be unique and sorted by bytes)")
                }
                entries.append(entry)
            }
            guard reader.remaining == 0 else {
                throw PFSError.malformed("\(reader.remaining) unexpected byte(s) after the tree object's entries")
            }
            guard Self.total(entries) != nil else { throw PFSError.malformed("tree object sizes overflow 64 bits") }
            self.init(trusted: entries)
        } catch let error as PFSError {
            throw error
        } catch {
            throw .malformed("tree object: \(error)")
        }
    }

    private static func readEntry(_ reader: inout ByteReader, index: Int) throws -> Entry {
        let kindByte = try reader.readUInt8()
        guard let kind = Kind(rawValue: kindByte) else {
            throw PFSError.malformed("tree object entry \(index) has kind \(kindByte); expected 1 (file) or 2 (directory)")
        }
        let length = Int(try reader.readUInt8()) | Int(try reader.readUInt8()) << 8
        let nameBytes = try reader.readBytes(count: length)
        guard let name = String(validating: nameBytes, as: UTF8.self) else {
            throw PFSError.malformed("tree object entry \(index) has a name that is not valid UTF-8")
        }
        if let problem = PathRules.problem(withName: name) {
            throw PFSError.malformed("tree object entry \(index) has an invalid name: \(problem)")
        }
        guard let id = ChunkID(bytes: try reader.readBytes(count: 32)) else {
            throw PFSError.malformed("tree object entry \(index) has a bad id")
        }
        return Entry(name: name, kind: kind, id: id, sizeBytes: try reader.readUInt64())
    }
}

/// State another module keeps in the same Raft log and snapshot as PFS metadata (Jobs: pipelines and
/// jobs), applied under the same lock as PFS, so that one entry can change both at once (a job's record
/// and its output commit) and every reader sees both or neither.
///
/// Its entries start with `MetadataExtensionMarker` (PFS commands start with their format version,
/// 1…3). Everything the PFS rules say holds for it too: deterministic, check everything before the
/// first change, sorted images.
public protocol MetadataExtension: Sendable {
    /// Applies one of its own commands (the entry's bytes after the marker) and returns the encoded
    /// answer. It may change `pfs`, through `MetadataState.apply`; a refused command changes neither.
    mutating func apply(_ command: [UInt8], pfs: inout MetadataState) -> [UInt8]
    /// Why a PFS command must be refused (a user's write to a pipeline's output branch), checked before
    /// PFS applies it; nil lets it through.
    func refusal(of command: MetadataCommand, in pfs: MetadataState) -> PFSError?
    /// Tree roots (hex ids) it keeps alive besides the commits' trees: garbage collection marks them.
    func gcTreeRoots() -> [String]
    /// What `wait commit` on `commit` waits for besides the commits naming it in their provenance:
    /// commits it will write or wrote that cover `commit` (a job that ran on a later head of the same
    /// branch), and, described, what is still due to write one (a pipeline that has not yet run on it).
    func downstream(of commit: CommitID, in pfs: MetadataState) -> (commits: [CommitID], due: [String])
    /// Its whole state as a deterministic image.
    func encoded() -> [UInt8]
    /// Replaces its state with a decoded `encoded()` image (empty bytes: the empty state), checked
    /// against the PFS state restored with it. Throws, changing nothing, on a corrupt image.
    mutating func restore(_ image: [UInt8], pfs: MetadataState) throws(PFSError)
}

extension MetadataExtension {
    public func downstream(of commit: CommitID, in pfs: MetadataState) -> (commits: [CommitID], due: [String]) {
        ([], [])
    }
}

/// The first byte of an extension entry.
public let MetadataExtensionMarker: UInt8 = 0xE0

/// The snapshot image with an extension: `PFSX`, a version byte (1), the PFS image's length (UInt64)
/// and bytes, then the extension's image. A PFS image alone (`PFSM`) restores an empty extension.
enum ExtendedSnapshot {
    static let magic: [UInt8] = Array("PFSX".utf8)
    static let version: UInt8 = 1

    static func encode(pfs: [UInt8], extension image: [UInt8]) -> [UInt8] {
        var writer = BinaryWriter()
        for byte in magic { writer.write(byte) }
        writer.write(version)
        writer.write(UInt64(pfs.count))
        return writer.bytes + pfs + image
    }

    /// The two images, or (bytes, []) for a plain PFS image.
    static func split(_ bytes: [UInt8]) throws(PFSError) -> (pfs: [UInt8], extension: [UInt8]) {
        guard bytes.count >= 4, Array(bytes[0..<4]) == magic else { return (bytes, []) }
        var reader = BinaryReader(Array(bytes[4..<min(bytes.count, 13)]))
        let version = try reader.readUInt8()
        guard version == Self.version else {
            throw .unsupportedVersion(what: "an extended metadata snapshot", version: version)
        }
        let length = try reader.readUInt64()
        guard length <= UInt64(bytes.count - 13) else {
            throw .malformed("extended snapshot: the PFS image is \(length) bytes, but only \(bytes.count - 13) follow")
        }
        let end = 13 + Int(length)
        return (Array(bytes[13..<end]), Array(bytes[end...]))
    }
}

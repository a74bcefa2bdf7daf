import PFS
import Replication

/// One unit of work: for each `pfs` input it combines, the file or directory the input's glob matched.
/// The user code sees each part at its original path under `/pfs/<input name>`.
public struct Datum: Sendable, Hashable, CustomStringConvertible {
    /// One input's share of a datum.
    public struct Part: Sendable, Hashable {
        /// The input's name (its folder under /pfs and its environment variable).
        public var input: String
        /// The matched file or directory, with its content id (a file object's or a tree object's).
        public var entry: TreeEntry

        public init(input: String, entry: TreeEntry) {
            self.input = input
            self.entry = entry
        }
    }

    /// In input order (depth first through cross and union, as the spec writes them).
    public var parts: [Part]

    public init(parts: [Part]) {
        self.parts = parts
    }

    /// The bytes under the datum: what it reads.
    public var sizeBytes: UInt64 { parts.reduce(0) { $0 &+ $1.entry.sizeBytes } }

    /// `name:/path` for each part, comma-separated, as `list datum` shows it.
    public var description: String { parts.map { "\($0.input):\($0.entry.path)" }.joined(separator: ", ") }

    /// The datum's identity for incremental processing: SHA-256 over the pipeline name, the salt (which
    /// `update pipeline --reprocess` changes) and, for each part, the input name, the path and the content
    /// id. Equal hashes mean the same code over the same bytes at the same paths, so an earlier output can
    /// be reused; a changed file changes its id and so the hash.
    public func hash(pipeline: RepoName, salt: String) -> ChunkID {
        var bytes: [UInt8] = []
        func field(_ text: String) {
            let utf8 = Array(text.utf8)
            bytes += withUnsafeBytes(of: UInt32(utf8.count).littleEndian, Array.init)
            bytes += utf8
        }
        field("datum-v1")
        field(pipeline.text)
        field(salt)
        for part in parts {
            field(part.input)
            field(part.entry.path.description)
            bytes.append(part.entry.kind.rawValue)
            bytes += part.entry.id.bytes
        }
        return ChunkID(of: bytes)
    }
}

/// The expected failures of the Replication module, one enum for the whole module (STYLE.md, Errors).
///
/// Each case carries what a caller needs to act: a node answering a peer maps `chunkNotFound` and
/// `chunkCorrupt` to "fetch it from another replica", `insufficientSpace` to "place it elsewhere", and the
/// frame cases to "the sender or the wire is broken; retry from another holder".
public enum ReplicationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A `ChunkerOptions` or `ChunkStore.Options` value that cannot work; the message says which bound.
    case invalidOptions(String)
    /// The bytes end before the frame does: `needed` bytes were expected, `available` were there.
    case truncatedFrame(needed: Int, available: Int)
    /// The bytes are not a well-formed frame (bad magic, checksum, codec, lengths); the message says which.
    case corruptFrame(String)
    /// A frame written by a newer format version than this build reads.
    case unsupportedFrameVersion(UInt8)
    /// A chunk or frame longer than the configured maximum; refused before any allocation of that size.
    case chunkTooLarge(length: Int, limit: Int)
    /// The frame decoded, but the SHA-256 of its bytes is not the id it claims.
    case idMismatch(expected: ChunkID, actual: ChunkID)
    /// The store does not hold the chunk.
    case chunkNotFound(ChunkID)
    /// The store held the chunk but its copy failed verification; the copy was moved to `quarantine/`
    /// and the chunk is no longer listed as held, so the caller SHOULD fetch it from another replica.
    case chunkCorrupt(ChunkID, reason: String)
    /// Accepting the write would leave less free space than the store's reserve; nothing was written.
    case insufficientSpace(directory: String, neededBytes: Int, availableBytes: Int, reserveBytes: Int)
    /// Another process (or another `ChunkStore` in this process) has the store directory open.
    case storeLocked(directory: String, holder: String?)
    /// A file system call failed; the message names the call, the path and the system error.
    case io(String)
    /// The store was closed; no call succeeds after `close()`.
    case closed
    /// A member could not be reached, or did not answer in time; the message says why.
    case peerUnavailable(MemberID, String)
    /// Fewer replicas than the write needs took the chunk: `durable` did, `required` must.
    case insufficientReplicas(ChunkID, durable: Int, required: Int, why: String)
    /// Like `insufficientReplicas`, but every replica that missed the chunk refused it for lack of disk
    /// space: the cluster is full, not unavailable.
    case replicasFull(ChunkID, durable: Int, required: Int, why: String)
    /// A member refused a frame because its disk is (nearly) full; `message` is its own account.
    case peerOutOfSpace(MemberID, message: String)

    public var description: String {
        switch self {
        case .invalidOptions(let message):
            return "invalid options: \(message)"
        case .truncatedFrame(let needed, let available):
            return "truncated chunk frame: needs \(needed) bytes, has \(available)"
        case .corruptFrame(let message):
            return "corrupt chunk frame: \(message)"
        case .unsupportedFrameVersion(let version):
            return "chunk frame version \(version) is newer than this build reads; upgrade the node"
        case .chunkTooLarge(let length, let limit):
            return "chunk of \(length) bytes exceeds the limit of \(limit) bytes"
        case .idMismatch(let expected, let actual):
            return "chunk content does not match its id: expected \(expected), content hashes to \(actual)"
        case .chunkNotFound(let id):
            return "chunk \(id) is not held here"
        case .chunkCorrupt(let id, let reason):
            return "chunk \(id) is corrupt here (\(reason)); the copy was quarantined, fetch it from a replica"
        case .insufficientSpace(let directory, let needed, let available, let reserve):
            return "resource exhausted: storing \(needed) bytes in \(directory) would leave less than the "
                + "reserve of \(reserve) bytes (\(available) bytes free); free space or add capacity"
        case .storeLocked(let directory, let holder):
            return "chunk store \(directory) is already in use"
                + (holder.map { " (locked by pid \($0))" } ?? "") + "; stop the other process first"
        case .io(let message):
            return "chunk store I/O: \(message)"
        case .closed:
            return "chunk store is closed"
        case .peerUnavailable(let member, let why):
            return "node \(member) is unavailable: \(why)"
        case .replicasFull(let id, let durable, let required, let why):
            return "resource exhausted: chunk \(id) is on \(durable) replica(s) but needs \(required): \(why); "
                + "nothing was acknowledged; free space or add nodes"
        case .peerOutOfSpace(let member, let message):
            return "node \(member): \(message)"
        case .insufficientReplicas(let id, let durable, let required, let why):
            return "chunk \(id) is on \(durable) replica(s) but needs \(required): \(why); nothing was acknowledged, "
                + "retry when more nodes are up"
        }
    }
}

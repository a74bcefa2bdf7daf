/// What one repair pass (`Repairer.runPass`) found and did.
public struct RepairReport: Sendable, Equatable, CustomStringConvertible {
    /// Distinct chunks seen on live members.
    public var chunks = 0
    /// Chunks with fewer than R live copies when the pass started.
    public var underReplicatedChunks = 0
    /// Their raw (decoded) bytes.
    public var underReplicatedBytes = 0
    /// Copies made.
    public var copied = 0
    /// Raw bytes of the copies made.
    public var copiedBytes = 0
    /// Surplus copies deleted.
    public var dropped = 0
    /// Chunks for which no live member had a good copy, in id order: only a member that comes back can
    /// restore them.
    public var lost: [ChunkID] = []
    /// Listings, copies and deletes that failed, one line each; the next pass tries again.
    public var failures: [String] = []
    /// Whether the pass stopped early because its task was cancelled.
    public var cancelled = false

    public init() {}

    /// Whether the pass found every chunk with R copies and had nothing to do: nothing under-replicated,
    /// copied, dropped, lost or failed. Passes until one is settled is "repair has converged".
    public var isSettled: Bool {
        underReplicatedChunks == 0 && copied == 0 && dropped == 0 && lost.isEmpty && failures.isEmpty && !cancelled
    }

    public var description: String {
        "\(chunks) chunks, \(underReplicatedChunks) under-replicated (\(underReplicatedBytes) B), "
            + "\(copied) copied (\(copiedBytes) B), \(dropped) dropped, \(lost.count) lost, \(failures.count) failures"
            + (cancelled ? ", cancelled" : "")
    }
}

/// The application that `RaftNode` replicates: it applies committed entries in log order and can save
/// and restore its whole state as a snapshot.
///
/// Contract:
/// - Every method is synchronous and MAY block (disk, SQLite). `RaftNode` calls them one at a time, in
///   log order, on a dedicated thread: never concurrently, never on Swift's cooperative thread pool.
/// - `apply` MUST be deterministic: the same entries give the same state and results on every node (no
///   clock, no randomness, no I/O to peers).
/// - `appliedIndex` MUST be durable together with the data it describes (same transaction), so that
///   after a restart the driver neither applies an entry twice nor skips one.
/// - Entry kinds: only `.normal` entries reach `apply`, with the driver's envelope removed (the data is
///   exactly what the proposer passed). The driver handles `.noop` and `.configChange` entries, and
///   retried proposals that the session table answers, itself; for those it calls `markApplied(through:)`
///   so the state machine still learns that the index advanced.
/// - Throwing means the state machine cannot go on (an I/O failure): the node stops. Application-level
///   rejections ("repo exists") are results, encoded in the returned bytes, identical on every node.
public protocol StateMachine: AnyObject, Sendable {
    /// The index of the last entry whose effect is in the state (0 for an empty state machine).
    var appliedIndex: UInt64 { get }

    /// Applies one committed `.normal` entry and returns the answer for the proposer. Afterwards
    /// `appliedIndex == entry.index`. Indexes increase but may skip entries the driver handled itself.
    func apply(_ entry: Entry) throws -> [UInt8]

    /// Records that every entry through `index` is applied although none of those since the last
    /// `apply` changes the data. An implementation MAY defer making this durable until its next `apply`:
    /// after a restart such entries are handed out again, and the driver again only marks them.
    func markApplied(through index: UInt64) throws

    /// An image of the whole state at `appliedIndex`, which `restore` accepts on any node.
    func snapshot() throws -> [UInt8]

    /// Replaces the whole state with `snapshot.data` (an image from `snapshot()`, perhaps taken on another
    /// node). Afterwards `appliedIndex == snapshot.metadata.index`.
    func restore(_ snapshot: Snapshot) throws
}

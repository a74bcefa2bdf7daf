import PFS
import Replication

/// What the coordinator and the workers need from the node they run on: the replicated state, the tree
/// and chunk stores, Raft proposals and who is alive. The node implements it over its real parts;
/// nothing here talks to the network itself.
public protocol JobsIO: Sendable {
    /// This node's member id.
    var nodeID: MemberID { get }
    /// The replicated PFS + jobs state.
    var metadata: MetadataStateMachine { get }
    /// Tree and file objects (stores are durable on their replicas before they return).
    var trees: TreeReader { get }
    /// Whether this node leads the Raft group now (the coordinator runs only there).
    func isLeader() -> Bool
    /// Proposes `command` through Raft (forwarded to the leader) and answers the state machine's result.
    func propose(_ command: JobsCommand) async throws -> JobsResult
    /// The members that are up, each with its worker slots.
    func liveWorkers() -> [Scheduler.Worker]
    /// The members that hold a copy of `chunk`, by placement over the members.
    func holders(of chunk: ChunkID) -> [MemberID]
    /// Writes the contents of the file object `object` to a new local file at `path`.
    func materialize(file object: ChunkID, to path: String) async throws
    /// Stores the local files at `paths` in the chunk store, all in one pass (chunks of many files per
    /// replicated write): each file object's id and size, in order.
    func store(files paths: [String]) async throws -> [(object: ChunkID, sizeBytes: UInt64)]
    /// Proposer time, nanoseconds since the epoch.
    func now() -> UInt64
}

extension JobsIO {
    /// The datums of `job`, in order, from its input commits' trees: the same on every node.
    func datums(of job: JobRecord, spec: PipelineSpec) async throws -> [Datum] {
        var trees: [String: FileTree] = [:]
        for input in job.inputs {
            let commit = try metadata.inspectCommit(.commit(input.commit, in: input.branch.repo))
            let root = commit.rootTreeID.isEmpty ? nil : ChunkID(hex: commit.rootTreeID)
            if !commit.rootTreeID.isEmpty && root == nil {
                throw PFSError.malformed("commit \(input.commit) has root tree id '\(commit.rootTreeID)'")
            }
            trees[input.name] = self.trees.tree(root)
        }
        return try await DatumEnumerator.datums(of: spec.input, trees: trees)
    }
}

import PFS
import Replication

/// A pipeline as the replicated state holds it.
public struct PipelineRecord: Sendable, Hashable {
    public var spec: PipelineSpec
    /// 1 at creation, +1 per update.
    public var version: UInt64
    /// Part of every datum hash; `update --reprocess` changes it, so no earlier output is reused.
    public var salt: String
    public var stopped: Bool
    public var createdAtNanos: UInt64
    /// The newest job, if any.
    public var lastJob: CommitID?
    /// What the newest job ran on: a job starts when the input heads or the version differ from these.
    public var lastInputs: [JobInput]
    public var lastVersion: UInt64
    /// Successful datums of the newest successful job, by hash: what the next job reuses.
    public var reusable: [ChunkID: DatumResult]

    public var name: RepoName { spec.name }
    public var outputBranch: BranchKey { BranchKey(spec.name, spec.outputBranch) }
}

/// One input commit of a job.
public struct JobInput: Sendable, Hashable, CustomStringConvertible {
    /// The input's name (its folder `/pfs/<name>`).
    public var name: String
    public var branch: BranchKey
    public var commit: CommitID

    public init(name: String, branch: BranchKey, commit: CommitID) {
        self.name = name
        self.branch = branch
        self.commit = commit
    }

    public var description: String { "\(name)=\(branch.repo)@\(commit)" }
}

/// Where a finished datum's outputs and logs are: in a batch's result tree, its outputs under
/// `/out/<hash hex>/` and its kept logs as `/log/<hash hex>.stdout` and `.stderr` (one directory object
/// per datum: each is a chunk on R nodes, and there can be many small datums).
public struct DatumResult: Sendable, Hashable {
    /// The batch result tree's root id (hex).
    public var root: String
    public var node: MemberID
    public var durationMillis: UInt64

    /// The folder of the datum's outputs in its batch's result tree.
    public static func outputFolder(of hash: ChunkID) throws(PFSError) -> PFSPath {
        try PFSPath.root.appending("out").appending(hash.hex)
    }

    /// The datum's kept `stream` ("stdout" or "stderr") in its batch's result tree.
    public static func log(_ stream: String, of hash: ChunkID) throws(PFSError) -> PFSPath {
        try PFSPath.root.appending("log").appending("\(hash.hex).\(stream)")
    }
}

/// How a job stands.
public enum JobState: UInt8, Sendable, Hashable, CustomStringConvertible {
    /// Its output commit is open; its datums are not yet planned.
    case starting = 1
    /// Planned; batches run on their nodes.
    case running
    case success
    case failure
    case killed

    public var isDone: Bool { self == .success || self == .failure || self == .killed }

    public var description: String {
        switch self {
        case .starting: return "starting"
        case .running: return "running"
        case .success: return "success"
        case .failure: return "failure"
        case .killed: return "killed"
        }
    }
}

/// How one datum of a job stands.
public enum DatumState: UInt8, Sendable, Hashable, CustomStringConvertible {
    case pending = 1
    case success
    /// Its hash was processed by an earlier job: that output is reused.
    case skipped
    case failed

    public var description: String {
        switch self {
        case .pending: return "pending"
        case .success: return "success"
        case .skipped: return "skipped"
        case .failed: return "failed"
        }
    }
}

/// One datum of a job, by index in the job's datum order.
public struct DatumRecord: Sendable, Hashable {
    public var hash: ChunkID
    public var state: DatumState
    /// Where it ran or runs (0: skipped).
    public var node: MemberID
    /// Set once it ran (or, when skipped, the reused result).
    public var result: DatumResult?
    public var attempts: UInt32
    /// Why it failed.
    public var reason: String
    /// Of its input bytes, those its node holds and those it reads from peers (by the plan's placement;
    /// a moved datum counts all as read from peers). 0 for a skipped datum.
    public var localBytes: UInt64
    public var remoteBytes: UInt64
}

/// Datums that one container start runs on one node.
public struct BatchRecord: Sendable, Hashable {
    public var node: MemberID
    /// Indices into the job's datums, in order.
    public var datums: [UInt32]
    public var done: Bool
    /// Moves to another node (its node went down), for `inspect job`.
    public var moves: UInt32
    /// `restart datum` calls on its datums: a worker running an older count stops and starts over.
    public var restarts: UInt32
}

/// A job: one run of a pipeline's version over one set of input commits. Its id is its output commit's.
public struct JobRecord: Sendable, Hashable {
    public var id: CommitID
    public var pipeline: RepoName
    public var pipelineVersion: UInt64
    public var inputs: [JobInput]
    public var state: JobState
    public var reason: String
    public var createdAtNanos: UInt64
    public var finishedAtNanos: UInt64
    public var datums: [DatumRecord]
    public var batches: [BatchRecord]
    public var localBytes: UInt64
    public var remoteBytes: UInt64
    /// Creation order, for listing newest first without trusting proposers' clocks.
    public var sequence: UInt64

    public var outputCommit: CommitID { id }

    public func count(_ state: DatumState) -> Int { datums.reduce(0) { $0 + ($1.state == state ? 1 : 0) } }
    public var batchesDone: Int { batches.reduce(0) { $0 + ($1.done ? 1 : 0) } }
}

import PFS
import Replication

/// One change to pipelines and jobs: what a proposer puts in a Raft entry (after the extension marker)
/// and what `JobsState.apply` executes on every node. As with PFS commands, the proposer supplies what
/// is not a function of the state: times, ids, the plan it computed from the trees.
public enum JobsCommand: Sendable, Hashable {
    /// Creates a pipeline (its output repo, and its output branch with provenance on every input
    /// branch, creating input branches that do not exist yet), or with `update` replaces its spec.
    case createPipeline(specText: String, update: Bool, reprocess: Bool, atNanos: UInt64)
    /// Deletes a pipeline, kills its running job and deletes its output repo.
    case deletePipeline(RepoName)
    /// Stops (the running job is killed) or starts a pipeline.
    case setStopped(RepoName, stopped: Bool, atNanos: UInt64)
    /// Starts a job of the pipeline's current version on `inputs` (the input branches' heads, which the
    /// coordinator saw finished): opens the output commit `id` and records the job.
    case startJob(pipeline: RepoName, version: UInt64, id: CommitID, inputs: [JobInput], atNanos: UInt64)
    /// Records a job's datums (their hashes; `reused` for those an earlier job processed) and which
    /// node runs which batch.
    case planJob(CommitID, datums: [PlannedDatum], batches: [PlannedBatch], localBytes: UInt64, remoteBytes: UInt64)
    /// A batch ran on `node` (as of its `restarts`-th restart): each datum's outcome, and the tree holding
    /// their outputs and logs.
    case finishBatch(CommitID, batch: UInt32, node: MemberID, restarts: UInt32, root: String, outcomes: [DatumOutcomeRecord])
    /// Moves a batch that has not finished to another node (its node went down).
    case moveBatch(CommitID, batch: UInt32, from: MemberID, to: MemberID)
    /// Ends a job: finishes its output commit with the merged tree (`rootTreeID` empty on failure).
    case finishJob(CommitID, success: Bool, reason: String, rootTreeID: String, sizeBytes: UInt64, atNanos: UInt64)
    /// Kills a running job (its output commit is finished empty).
    case stopJob(CommitID, reason: String, atNanos: UInt64)
    /// Runs again the open batches holding these datums (indices; each still pending).
    case restartDatums(CommitID, datums: [UInt32])
}

/// A datum as the plan records it.
public struct PlannedDatum: Sendable, Hashable {
    public var hash: ChunkID
    /// An earlier job's result of the same hash: the datum is skipped.
    public var reused: DatumResult?
    /// Its input bytes held by the node it is planned on, and those it reads from peers.
    public var localBytes: UInt64
    public var remoteBytes: UInt64

    public init(hash: ChunkID, reused: DatumResult?, localBytes: UInt64 = 0, remoteBytes: UInt64 = 0) {
        self.hash = hash
        self.reused = reused
        self.localBytes = localBytes
        self.remoteBytes = remoteBytes
    }
}

/// A batch as the plan records it.
public struct PlannedBatch: Sendable, Hashable {
    public var node: MemberID
    public var datums: [UInt32]

    public init(node: MemberID, datums: [UInt32]) {
        self.node = node
        self.datums = datums
    }
}

/// How one datum of a finished batch ended.
public struct DatumOutcomeRecord: Sendable, Hashable {
    public var datum: UInt32
    public var succeeded: Bool
    public var durationMillis: UInt64
    public var attempts: UInt32
    public var reason: String

    public init(datum: UInt32, succeeded: Bool, durationMillis: UInt64, attempts: UInt32, reason: String) {
        self.datum = datum
        self.succeeded = succeeded
        self.durationMillis = durationMillis
        self.attempts = attempts
        self.reason = reason
    }
}

/// What applying a `JobsCommand` answers.
public enum JobsResult: Sendable, Hashable {
    case done
    case pipeline(PipelineInfo)
    case job(JobInfo)
    case failed(PFSError)
}

// MARK: Coding

extension JobsCommand {
    /// The layout version of commands and answers; a node meeting another stops (see MetadataCommand).
    public static let formatVersion: UInt8 = 1

    private enum Tag: UInt8 {
        case createPipeline = 1, deletePipeline, setStopped, startJob, planJob, finishBatch, moveBatch, finishJob, stopJob
        case restartDatums
    }

    /// The entry's bytes, marker included.
    public var encoded: [UInt8] {
        var writer = BinaryWriter()
        writer.write(MetadataExtensionMarker)
        writer.write(Self.formatVersion)
        switch self {
        case .createPipeline(let text, let update, let reprocess, let atNanos):
            writer.write(Tag.createPipeline.rawValue)
            writer.write(text)
            writer.write(update)
            writer.write(reprocess)
            writer.write(atNanos)
        case .deletePipeline(let name):
            writer.write(Tag.deletePipeline.rawValue)
            writer.write(name)
        case .setStopped(let name, let stopped, let atNanos):
            writer.write(Tag.setStopped.rawValue)
            writer.write(name)
            writer.write(stopped)
            writer.write(atNanos)
        case .startJob(let pipeline, let version, let id, let inputs, let atNanos):
            writer.write(Tag.startJob.rawValue)
            writer.write(pipeline)
            writer.write(version)
            writer.write(id)
            writer.write(inputs) { $0.write($1) }
            writer.write(atNanos)
        case .planJob(let id, let datums, let batches, let localBytes, let remoteBytes):
            writer.write(Tag.planJob.rawValue)
            writer.write(id)
            writer.write(datums) { writer, datum in
                writer.write(datum.hash)
                writer.write(datum.reused) { $0.write($1) }
                writer.write(datum.localBytes)
                writer.write(datum.remoteBytes)
            }
            writer.write(batches) { writer, batch in
                writer.write(batch.node)
                writer.write(batch.datums) { $0.write($1) }
            }
            writer.write(localBytes)
            writer.write(remoteBytes)
        case .finishBatch(let id, let batch, let node, let restarts, let root, let outcomes):
            writer.write(Tag.finishBatch.rawValue)
            writer.write(id)
            writer.write(batch)
            writer.write(node)
            writer.write(restarts)
            writer.write(root)
            writer.write(outcomes) { writer, outcome in
                writer.write(outcome.datum)
                writer.write(outcome.succeeded)
                writer.write(outcome.durationMillis)
                writer.write(outcome.attempts)
                writer.write(outcome.reason)
            }
        case .moveBatch(let id, let batch, let from, let to):
            writer.write(Tag.moveBatch.rawValue)
            writer.write(id)
            writer.write(batch)
            writer.write(from)
            writer.write(to)
        case .finishJob(let id, let success, let reason, let root, let size, let atNanos):
            writer.write(Tag.finishJob.rawValue)
            writer.write(id)
            writer.write(success)
            writer.write(reason)
            writer.write(root)
            writer.write(size)
            writer.write(atNanos)
        case .stopJob(let id, let reason, let atNanos):
            writer.write(Tag.stopJob.rawValue)
            writer.write(id)
            writer.write(reason)
            writer.write(atNanos)
        case .restartDatums(let id, let datums):
            writer.write(Tag.restartDatums.rawValue)
            writer.write(id)
            writer.write(datums) { $0.write($1) }
        }
        return writer.bytes
    }

    /// Decodes the bytes after the marker.
    public init(decoding bytes: [UInt8]) throws(PFSError) {
        var reader = BinaryReader(bytes)
        let version = try reader.readUInt8()
        guard version == Self.formatVersion else { throw .unsupportedVersion(what: "a jobs command", version: version) }
        let raw = try reader.readUInt8()
        guard let tag = Tag(rawValue: raw) else { throw .malformed("unknown jobs command tag \(raw)") }
        switch tag {
        case .createPipeline:
            self = .createPipeline(specText: try reader.readString(), update: try reader.readBool(),
                                   reprocess: try reader.readBool(), atNanos: try reader.readUInt64())
        case .deletePipeline:
            self = .deletePipeline(try reader.readRepoName())
        case .setStopped:
            self = .setStopped(try reader.readRepoName(), stopped: try reader.readBool(), atNanos: try reader.readUInt64())
        case .startJob:
            self = .startJob(pipeline: try reader.readRepoName(), version: try reader.readUInt64(),
                             id: try reader.readCommitID(),
                             inputs: try reader.readArray { r throws(PFSError) in try r.readJobInput() },
                             atNanos: try reader.readUInt64())
        case .planJob:
            self = .planJob(try reader.readCommitID(),
                            datums: try reader.readArray { r throws(PFSError) in
                                PlannedDatum(hash: try r.readChunkID(),
                                             reused: try r.readOptional { r throws(PFSError) in try r.readDatumResult() },
                                             localBytes: try r.readUInt64(), remoteBytes: try r.readUInt64())
                            },
                            batches: try reader.readArray { r throws(PFSError) in
                                PlannedBatch(node: try r.readUInt64(),
                                             datums: try r.readArray { r throws(PFSError) in try r.readUInt32() })
                            },
                            localBytes: try reader.readUInt64(), remoteBytes: try reader.readUInt64())
        case .finishBatch:
            self = .finishBatch(try reader.readCommitID(), batch: try reader.readUInt32(), node: try reader.readUInt64(),
                                restarts: try reader.readUInt32(), root: try reader.readString(),
                                outcomes: try reader.readArray { r throws(PFSError) in
                                    DatumOutcomeRecord(datum: try r.readUInt32(), succeeded: try r.readBool(),
                                                       durationMillis: try r.readUInt64(), attempts: try r.readUInt32(),
                                                       reason: try r.readString())
                                })
        case .moveBatch:
            self = .moveBatch(try reader.readCommitID(), batch: try reader.readUInt32(), from: try reader.readUInt64(),
                              to: try reader.readUInt64())
        case .finishJob:
            self = .finishJob(try reader.readCommitID(), success: try reader.readBool(), reason: try reader.readString(),
                              rootTreeID: try reader.readString(), sizeBytes: try reader.readUInt64(),
                              atNanos: try reader.readUInt64())
        case .stopJob:
            self = .stopJob(try reader.readCommitID(), reason: try reader.readString(), atNanos: try reader.readUInt64())
        case .restartDatums:
            self = .restartDatums(try reader.readCommitID(),
                                  datums: try reader.readArray { r throws(PFSError) in try r.readUInt32() })
        }
        try reader.finish("jobs command")
    }
}

extension JobsResult {
    public var encoded: [UInt8] {
        var writer = BinaryWriter()
        writer.write(JobsCommand.formatVersion)
        switch self {
        case .done: writer.write(UInt8(1))
        case .pipeline(let info):
            writer.write(UInt8(2))
            writer.write(info)
        case .job(let info):
            writer.write(UInt8(3))
            writer.write(info)
        case .failed(let error):
            writer.write(UInt8(4))
            writer.write(error)
        }
        return writer.bytes
    }

    public init(decoding bytes: [UInt8]) throws(PFSError) {
        var reader = BinaryReader(bytes)
        let version = try reader.readUInt8()
        guard version == JobsCommand.formatVersion else { throw .unsupportedVersion(what: "a jobs answer", version: version) }
        switch try reader.readUInt8() {
        case 1: self = .done
        case 2: self = .pipeline(try reader.readPipelineInfo())
        case 3: self = .job(try reader.readJobInfo())
        case 4: self = .failed(try reader.readError())
        case let other: throw .malformed("unknown jobs answer tag \(other)")
        }
        try reader.finish("jobs answer")
    }
}

extension BinaryWriter {
    mutating func write(_ id: ChunkID) {
        write(id.bytes) { $0.write($1) }
    }

    mutating func write(_ input: JobInput) {
        write(input.name)
        write(input.branch)
        write(input.commit)
    }

    mutating func write(_ result: DatumResult) {
        write(result.root)
        write(result.node)
        write(result.durationMillis)
    }
}

extension BinaryReader {
    mutating func readChunkID() throws(PFSError) -> ChunkID {
        let bytes = try readArray { r throws(PFSError) in try r.readUInt8() }
        guard let id = ChunkID(bytes: bytes) else { throw .malformed("a chunk id of \(bytes.count) bytes") }
        return id
    }

    mutating func readJobInput() throws(PFSError) -> JobInput {
        JobInput(name: try readString(), branch: try readBranchKey(), commit: try readCommitID())
    }

    mutating func readDatumResult() throws(PFSError) -> DatumResult {
        DatumResult(root: try readString(), node: try readUInt64(), durationMillis: try readUInt64())
    }
}

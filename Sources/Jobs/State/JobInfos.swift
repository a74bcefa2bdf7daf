import PFS

/// A pipeline as queries and answers show it.
public struct PipelineInfo: Sendable, Hashable {
    public var name: RepoName
    /// Canonical JSON.
    public var specText: String
    public var version: UInt64
    public var stopped: Bool
    public var createdAtNanos: UInt64
    public var description: String
    /// `repo@branch` per input, in spec order.
    public var inputs: [String]
    public var outputBranch: BranchName
    public var lastJob: CommitID?
    public var lastJobState: JobState?
}

/// A job as queries and answers show it.
public struct JobInfo: Sendable, Hashable {
    public var id: CommitID
    public var pipeline: RepoName
    public var pipelineVersion: UInt64
    public var state: JobState
    public var reason: String
    public var inputs: [JobInput]
    public var createdAtNanos: UInt64
    public var finishedAtNanos: UInt64
    public var datumsTotal: UInt64
    public var datumsProcessed: UInt64
    public var datumsSkipped: UInt64
    public var datumsFailed: UInt64
    public var batchesTotal: UInt64
    public var batchesDone: UInt64
    public var localBytes: UInt64
    public var remoteBytes: UInt64
}

extension PipelineRecord {
    func info(lastJobState: JobState?) -> PipelineInfo {
        PipelineInfo(name: name, specText: spec.canonicalText, version: version, stopped: stopped,
                     createdAtNanos: createdAtNanos, description: spec.description,
                     inputs: spec.input.leaves.map { "\($0.repo)@\($0.branch)" }, outputBranch: spec.outputBranch,
                     lastJob: lastJob, lastJobState: lastJobState)
    }
}

extension JobRecord {
    public var info: JobInfo {
        JobInfo(id: id, pipeline: pipeline, pipelineVersion: pipelineVersion, state: state, reason: reason, inputs: inputs,
                createdAtNanos: createdAtNanos, finishedAtNanos: finishedAtNanos, datumsTotal: UInt64(datums.count),
                datumsProcessed: UInt64(count(.success)), datumsSkipped: UInt64(count(.skipped)),
                datumsFailed: UInt64(count(.failed)), batchesTotal: UInt64(batches.count),
                batchesDone: UInt64(batchesDone), localBytes: localBytes, remoteBytes: remoteBytes)
    }
}

extension BinaryWriter {
    mutating func write(_ info: PipelineInfo) {
        write(info.name)
        write(info.specText)
        write(info.version)
        write(info.stopped)
        write(info.createdAtNanos)
        write(info.description)
        write(info.inputs) { $0.write($1) }
        write(info.outputBranch)
        write(info.lastJob) { $0.write($1) }
        write(info.lastJobState) { $0.write($1.rawValue) }
    }

    mutating func write(_ info: JobInfo) {
        write(info.id)
        write(info.pipeline)
        write(info.pipelineVersion)
        write(info.state.rawValue)
        write(info.reason)
        write(info.inputs) { $0.write($1) }
        for value in [info.createdAtNanos, info.finishedAtNanos, info.datumsTotal, info.datumsProcessed,
                      info.datumsSkipped, info.datumsFailed, info.batchesTotal, info.batchesDone,
                      info.localBytes, info.remoteBytes] {
            write(value)
        }
    }
}

extension BinaryReader {
    mutating func readJobState() throws(PFSError) -> JobState {
        let raw = try readUInt8()
        guard let state = JobState(rawValue: raw) else { throw .malformed("unknown job state \(raw)") }
        return state
    }

    mutating func readPipelineInfo() throws(PFSError) -> PipelineInfo {
        PipelineInfo(name: try readRepoName(), specText: try readString(), version: try readUInt64(),
                     stopped: try readBool(), createdAtNanos: try readUInt64(), description: try readString(),
                     inputs: try readArray { r throws(PFSError) in try r.readString() },
                     outputBranch: try readBranchName(),
                     lastJob: try readOptional { r throws(PFSError) in try r.readCommitID() },
                     lastJobState: try readOptional { r throws(PFSError) in try r.readJobState() })
    }

    mutating func readJobInfo() throws(PFSError) -> JobInfo {
        JobInfo(id: try readCommitID(), pipeline: try readRepoName(), pipelineVersion: try readUInt64(),
                state: try readJobState(), reason: try readString(),
                inputs: try readArray { r throws(PFSError) in try r.readJobInput() },
                createdAtNanos: try readUInt64(), finishedAtNanos: try readUInt64(), datumsTotal: try readUInt64(),
                datumsProcessed: try readUInt64(), datumsSkipped: try readUInt64(), datumsFailed: try readUInt64(),
                batchesTotal: try readUInt64(), batchesDone: try readUInt64(), localBytes: try readUInt64(),
                remoteBytes: try readUInt64())
    }
}

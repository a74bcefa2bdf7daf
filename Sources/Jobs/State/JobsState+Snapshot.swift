import PFS
import Replication

/// The image: `JOBS`, a version byte (2), `nextSequence`, the pipelines by name, the jobs by id.
extension JobsState {
    static let snapshotVersion: UInt8 = 2
    private static let magic: [UInt8] = Array("JOBS".utf8)

    public func encoded() -> [UInt8] {
        var writer = BinaryWriter()
        for byte in Self.magic { writer.write(byte) }
        writer.write(Self.snapshotVersion)
        writer.write(nextSequence)
        writer.write(pipelines.keys.sorted()) { writer, name in
            let record = pipelines[name]!
            writer.write(record.spec.canonicalText)
            writer.write(record.version)
            writer.write(record.salt)
            writer.write(record.stopped)
            writer.write(record.createdAtNanos)
            writer.write(record.lastJob) { $0.write($1) }
            writer.write(record.lastInputs) { $0.write($1) }
            writer.write(record.lastVersion)
            writer.write(record.reusable.keys.sorted()) { writer, hash in
                writer.write(hash)
                writer.write(record.reusable[hash]!)
            }
        }
        writer.write(jobs.keys.sorted()) { writer, id in
            let job = jobs[id]!
            writer.write(job.id)
            writer.write(job.pipeline)
            writer.write(job.pipelineVersion)
            writer.write(job.inputs) { $0.write($1) }
            writer.write(job.state.rawValue)
            writer.write(job.reason)
            writer.write(job.createdAtNanos)
            writer.write(job.finishedAtNanos)
            writer.write(job.datums) { writer, datum in
                writer.write(datum.hash)
                writer.write(datum.state.rawValue)
                writer.write(datum.node)
                writer.write(datum.result) { $0.write($1) }
                writer.write(datum.attempts)
                writer.write(datum.reason)
                writer.write(datum.localBytes)
                writer.write(datum.remoteBytes)
            }
            writer.write(job.batches) { writer, batch in
                writer.write(batch.node)
                writer.write(batch.datums) { $0.write($1) }
                writer.write(batch.done)
                writer.write(batch.moves)
                writer.write(batch.restarts)
            }
            writer.write(job.localBytes)
            writer.write(job.remoteBytes)
            writer.write(job.sequence)
        }
        return writer.bytes
    }

    public mutating func restore(_ image: [UInt8], pfs: MetadataState) throws(PFSError) {
        guard !image.isEmpty else {
            self = JobsState()
            return
        }
        var reader = BinaryReader(image)
        for byte in Self.magic where try reader.readUInt8() != byte { throw .malformed("not a jobs snapshot (bad magic)") }
        let version = try reader.readUInt8()
        guard version == Self.snapshotVersion else { throw .unsupportedVersion(what: "a jobs snapshot", version: version) }
        var restored = JobsState()
        restored.nextSequence = try reader.readUInt64()
        for record in try reader.readArray({ r throws(PFSError) in try r.readPipelineRecord() }) {
            guard restored.pipelines.updateValue(record, forKey: record.name) == nil else {
                throw .malformed("pipeline \(record.name) twice")
            }
        }
        for job in try reader.readArray({ r throws(PFSError) in try r.readJobRecord() }) {
            guard restored.jobs.updateValue(job, forKey: job.id) == nil else { throw .malformed("job \(job.id) twice") }
        }
        try reader.finish("jobs snapshot")
        for name in restored.pipelines.keys where (try? pfs.inspectRepo(name)) == nil {
            throw .malformed("jobs snapshot: pipeline \(name) has no output repo")
        }
        for job in restored.jobs.values where restored.pipelines[job.pipeline] == nil {
            throw .malformed("jobs snapshot: job \(job.id) of a pipeline that does not exist")
        }
        self = restored
    }
}

extension BinaryReader {
    mutating func readPipelineRecord() throws(PFSError) -> PipelineRecord {
        let text = try readString()
        let spec: PipelineSpec
        do { spec = try PipelineSpec(parsing: text) } catch { throw .malformed("a stored pipeline spec: \(error)") }
        let version = try readUInt64()
        let salt = try readString()
        let stopped = try readBool()
        let created = try readUInt64()
        let lastJob = try readOptional { r throws(PFSError) in try r.readCommitID() }
        let lastInputs = try readArray { r throws(PFSError) in try r.readJobInput() }
        let lastVersion = try readUInt64()
        var reusable: [ChunkID: DatumResult] = [:]
        for (hash, result) in try readArray({ r throws(PFSError) in (try r.readChunkID(), try r.readDatumResult()) }) {
            reusable[hash] = result
        }
        return PipelineRecord(spec: spec, version: version, salt: salt, stopped: stopped, createdAtNanos: created,
                              lastJob: lastJob, lastInputs: lastInputs, lastVersion: lastVersion, reusable: reusable)
    }

    mutating func readJobRecord() throws(PFSError) -> JobRecord {
        let id = try readCommitID()
        let pipeline = try readRepoName()
        let version = try readUInt64()
        let inputs = try readArray { r throws(PFSError) in try r.readJobInput() }
        let state = try readJobState()
        let reason = try readString()
        let created = try readUInt64()
        let finished = try readUInt64()
        let datums = try readArray { r throws(PFSError) -> DatumRecord in
            let hash = try r.readChunkID()
            let raw = try r.readUInt8()
            guard let state = DatumState(rawValue: raw) else { throw .malformed("unknown datum state \(raw)") }
            return DatumRecord(hash: hash, state: state, node: try r.readUInt64(),
                               result: try r.readOptional { r throws(PFSError) in try r.readDatumResult() },
                               attempts: try r.readUInt32(), reason: try r.readString(),
                               localBytes: try r.readUInt64(), remoteBytes: try r.readUInt64())
        }
        let batches = try readArray { r throws(PFSError) in
            BatchRecord(node: try r.readUInt64(), datums: try r.readArray { r throws(PFSError) in try r.readUInt32() },
                        done: try r.readBool(), moves: try r.readUInt32(),
                                    restarts: try r.readUInt32())
        }
        return JobRecord(id: id, pipeline: pipeline, pipelineVersion: version, inputs: inputs, state: state,
                         reason: reason, createdAtNanos: created, finishedAtNanos: finished, datums: datums,
                         batches: batches, localBytes: try readUInt64(), remoteBytes: try readUInt64(),
                         sequence: try readUInt64())
    }
}

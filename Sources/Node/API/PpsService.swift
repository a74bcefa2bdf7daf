import Foundation
import GRPCCore
import Jobs
import Logging
import PFS
import PachAPI
import Raft
import Replication

/// The public `pps.API` service: pipelines, jobs, datums and logs. Writes propose a `JobsCommand` (the
/// spec is parsed and validated by the state machine, so every node refuses a bad one alike); reads
/// wait for a linearizable read point and query the local jobs state.
struct PpsService<Backend: APIBackend>: Pps_API.SimpleServiceProtocol {
    let backend: Backend
    let logger: Logger

    // MARK: Pipelines

    func createPipeline(request: Pps_CreatePipelineRequest, context: ServerContext) async throws -> Pps_PipelineInfo {
        guard !request.specJson.isEmpty else { throw RPCError(code: .invalidArgument, message: "the pipeline spec is empty") }
        guard request.specJson.utf8.count <= 256 << 10 else {
            throw RPCError(code: .invalidArgument, message: "the pipeline spec is over 256 KiB")
        }
        // Parsed here too, so a bad spec is refused with its field named before anything is proposed.
        let spec: PipelineSpec
        do { spec = try PipelineSpec(parsing: request.specJson) } catch {
            throw RPCError(code: .invalidArgument, message: error.description)
        }
        // Nodes run the same system, so a program missing here is missing everywhere.
        if let problem = ProgramCheck.problem(with: spec) {
            throw RPCError(code: .invalidArgument, message: "\(problem) (checked on node \(backend.nodeID))")
        }
        let result = try await propose(.createPipeline(specText: request.specJson, update: request.update,
                                                       reprocess: request.reprocess, atNanos: now()), context)
        return try pipeline(result)
    }

    func inspectPipeline(request: Pps_InspectPipelineRequest, context: ServerContext) async throws -> Pps_PipelineInfo {
        let name = try Self.name(request.name)
        try await readPoint(context)
        return Self.wire(try query { _, jobs throws(PFSError) in try jobs.inspectPipeline(name) })
    }

    func listPipeline(request: Pps_ListPipelineRequest, context: ServerContext) async throws -> Pps_ListPipelineResponse {
        try await readPoint(context)
        var response = Pps_ListPipelineResponse()
        response.pipelines = try query { _, jobs throws(PFSError) in jobs.listPipelines() }.map(Self.wire)
        return response
    }

    func deletePipeline(request: Pps_DeletePipelineRequest, context: ServerContext) async throws -> Pps_DeletePipelineResponse {
        _ = try await propose(.deletePipeline(try Self.name(request.name)), context)
        return Pps_DeletePipelineResponse()
    }

    func stopPipeline(request: Pps_StopPipelineRequest, context: ServerContext) async throws -> Pps_PipelineInfo {
        try pipeline(try await propose(.setStopped(try Self.name(request.name), stopped: true, atNanos: now()), context))
    }

    func startPipeline(request: Pps_StartPipelineRequest, context: ServerContext) async throws -> Pps_PipelineInfo {
        try pipeline(try await propose(.setStopped(try Self.name(request.name), stopped: false, atNanos: now()), context))
    }

    // MARK: Jobs

    func listJob(request: Pps_ListJobRequest, context: ServerContext) async throws -> Pps_ListJobResponse {
        let name = request.pipeline.isEmpty ? nil : try Self.name(request.pipeline)
        try await readPoint(context)
        let jobs = try query { pfs, jobs throws(PFSError) in
            try jobs.listJobs(pipeline: name).map { ($0, (try? pfs.inspectCommit(.commit($0.id, in: $0.pipeline)))?.sizeBytes ?? 0) }
        }
        var response = Pps_ListJobResponse()
        response.jobs = jobs.map { Self.wire($0.0, outputSize: $0.1) }
        return response
    }

    func inspectJob(request: Pps_InspectJobRequest, context: ServerContext) async throws -> Pps_JobInfo {
        let id = try Self.jobID(request.id)
        try await readPoint(context)
        return try jobInfo(id)
    }

    /// Waits on the local state machine's changes (a read point first, so a job that ended before the
    /// call is seen at once).
    func waitJob(request: Pps_WaitJobRequest, context: ServerContext) async throws -> Pps_JobInfo {
        let id = try Self.jobID(request.id)
        try await readPoint(context)
        let metadata = backend.metadata
        while true {
            let seen = metadata.changes.current
            let info = try jobInfo(id)
            if let state = JobState(wire: info.state), state.isDone { return info }
            _ = await metadata.changes.wait(after: seen)
            try Task.checkCancellation()
        }
    }

    func stopJob(request: Pps_StopJobRequest, context: ServerContext) async throws -> Pps_JobInfo {
        let id = try Self.jobID(request.id)
        _ = try await propose(.stopJob(id, reason: "stopped by a user", atNanos: now()), context)
        try await readPoint(context)
        return try jobInfo(id)
    }

    func restartDatum(request: Pps_RestartDatumRequest, context: ServerContext) async throws -> Pps_JobInfo {
        let id = try Self.jobID(request.jobID)
        let filters = request.dataFilters.filter { !$0.isEmpty }
        guard !filters.isEmpty else {
            throw RPCError(code: .invalidArgument, message: "name the datums to restart: a datum id, or their paths")
        }
        try await readPoint(context)
        let (job, spec) = try query { _, jobs throws(PFSError) in
            let job = try jobs.jobRecord(id)
            return (job, try jobs.pipelineRecord(job.pipeline).spec)
        }
        let paths = try await datumPaths(job, spec: spec)
        let matching = job.datums.indices.filter { index in
            filters.allSatisfy { Self.datum(job.datums[index].hash.hex, paths: index < paths.count ? paths[index] : [], matches: $0) }
        }
        guard !matching.isEmpty else {
            throw RPCError(code: .notFound, message: "no datum of job \(id) matches \(filters.joined(separator: ", "))")
        }
        let pending = matching.filter { job.datums[$0].state == .pending }
        guard !pending.isEmpty else {
            let states = Set(matching.map { job.datums[$0].state.description }).sorted().joined(separator: ", ")
            throw RPCError(code: .failedPrecondition, message: "the \(matching.count) datums matching are no longer "
                + "running (\(states)); failed datums run again in the pipeline's next job")
        }
        _ = try await propose(.restartDatums(id, datums: pending.map { UInt32($0) }), context)
        try await readPoint(context)
        return try jobInfo(id)
    }

    /// A filter names a datum by 8 or more hex characters of its id, or by one of its paths (with or
    /// without the input's name: `/a/b`, `images:/a/b`).
    static func datum(_ id: String, paths: [String], matches filter: String) -> Bool {
        if filter.count >= 8, filter.allSatisfy(\.isHexDigit), id.hasPrefix(filter.lowercased()) { return true }
        return paths.contains { path in
            path == filter || path.split(separator: ":", maxSplits: 1).last.map(String.init) == filter
        }
    }

    func listDatum(request: Pps_ListDatumRequest, context: ServerContext) async throws -> Pps_ListDatumResponse {
        let id = try Self.jobID(request.jobID)
        try await readPoint(context)
        let (job, spec) = try query { _, jobs throws(PFSError) in
            let job = try jobs.jobRecord(id)
            return (job, try jobs.pipelineRecord(job.pipeline).spec)
        }
        let paths = try await datumPaths(job, spec: spec)
        var response = Pps_ListDatumResponse()
        response.datums = job.datums.enumerated().map { index, datum in
            var wire = Pps_DatumInfo()
            wire.id = datum.hash.hex
            wire.state = datum.state.description
            wire.paths = index < paths.count ? paths[index] : []
            wire.node = datum.state == .skipped ? 0 : datum.node
            wire.durationMillis = datum.result?.durationMillis ?? 0
            wire.attempts = datum.attempts
            wire.reason = datum.reason
            wire.localBytes = datum.localBytes
            wire.remoteBytes = datum.remoteBytes
            return wire
        }
        return response
    }

    // MARK: Logs

    func getLogs(request: Pps_GetLogsRequest, response: RPCWriter<Pps_LogMessage>, context: ServerContext) async throws {
        guard request.pipeline.isEmpty != request.jobID.isEmpty else {
            throw RPCError(code: .invalidArgument, message: "name exactly one of a pipeline or a job")
        }
        try await readPoint(context)
        let id: CommitID
        if request.jobID.isEmpty {
            let name = try Self.name(request.pipeline)
            guard let last = try query({ _, jobs throws(PFSError) in try jobs.inspectPipeline(name).lastJob }) else {
                throw RPCError(code: .notFound, message: "pipeline \(name) has run no job yet")
            }
            id = last
        } else {
            id = try Self.jobID(request.jobID)
        }
        guard let files = backend.files else { throw RPCError(code: .unavailable, message: "this node has no chunk store") }
        var sent = Set<Int>()
        let metadata = backend.metadata
        while true {
            let seen = metadata.changes.current
            let job = try query { _, jobs throws(PFSError) in try jobs.jobRecord(id) }
            for (index, datum) in job.datums.enumerated() where !sent.contains(index) && datum.state != .pending {
                sent.insert(index)
                guard datum.state != .skipped || request.datumID.isEmpty == false,
                      request.datumID.isEmpty || datum.hash.hex.hasPrefix(request.datumID.lowercased()),
                      let result = datum.result, let root = ChunkID(hex: result.root) else { continue }
                let tree = files.trees.tree(root)
                for stream in ["stdout", "stderr"] {
                    let path = try DatumResult.log(stream, of: datum.hash)
                    guard let entry = try await tree.lookup(path), !entry.isDirectory else { continue }
                    var bytes: [UInt8] = []
                    for piece in try await files.trees.fileObject(entry.id).pieces { bytes += try await files.read(piece.chunk) }
                    var message = Pps_LogMessage()
                    message.jobID = id.description
                    message.datumID = datum.hash.hex
                    message.node = result.node
                    message.stream = stream
                    message.text = String(decoding: bytes, as: UTF8.self)
                    message.truncated = bytes.count >= 1 << 20
                    try await response.write(message)
                }
            }
            if !request.follow || job.state.isDone { return }
            _ = await metadata.changes.wait(after: seen)
            try Task.checkCancellation()
        }
    }

    // MARK: Shared steps

    func propose(_ command: JobsCommand, _ context: ServerContext) async throws -> JobsResult {
        let bytes = command.encoded
        let backend = self.backend
        var generator = SystemRandomNumberGenerator()
        let session = CallSession.fresh(using: &generator)
        let answer = try await CallDeadline.run(context, hasDeadline: false) { () async throws(RPCError) -> [UInt8] in
            do throws(RaftError) {
                return try await backend.propose(bytes, client: session.client, sequence: session.sequence)
            } catch {
                throw StatusMapping.rpcError(for: error)
            }
        }
        let result: JobsResult
        do { result = try JobsResult(decoding: answer) } catch { throw StatusMapping.undecodableAnswer(error) }
        if case .failed(let refusal) = result { throw StatusMapping.rpcError(for: refusal) }
        return result
    }

    func readPoint(_ context: ServerContext) async throws {
        let backend = self.backend
        try await CallDeadline.run(context, hasDeadline: false) { () async throws(RPCError) in
            do throws(RaftError) { try await backend.linearizableRead() } catch { throw StatusMapping.rpcError(for: error) }
        }
    }

    func query<T: Sendable>(_ body: (borrowing MetadataState, JobsState) throws(PFSError) -> T) throws(RPCError) -> T {
        do { return try backend.metadata.jobs(body) } catch { throw StatusMapping.rpcError(for: error) }
    }

    func jobInfo(_ id: CommitID) throws(RPCError) -> Pps_JobInfo {
        let (info, size) = try query { pfs, jobs throws(PFSError) in
            let job = try jobs.jobRecord(id)
            return (job.info, (try? pfs.inspectCommit(.commit(id, in: job.pipeline)))?.sizeBytes ?? 0)
        }
        return Self.wire(info, outputSize: size)
    }

    /// `input:/path` per part of each datum, computed from the trees as the coordinator did.
    func datumPaths(_ job: JobRecord, spec: PipelineSpec) async throws -> [[String]] {
        guard let files = backend.files, !job.datums.isEmpty else { return [] }
        var trees: [String: FileTree] = [:]
        for input in job.inputs {
            let commit = try query { pfs, _ throws(PFSError) in try pfs.inspectCommit(.commit(input.commit, in: input.branch.repo)) }
            trees[input.name] = files.trees.tree(ChunkID(hex: commit.rootTreeID))
        }
        return try await DatumEnumerator.datums(of: spec.input, trees: trees).map { datum in
            datum.parts.map { "\($0.input):\($0.entry.path)" }
        }
    }

    func pipeline(_ result: JobsResult) throws(RPCError) -> Pps_PipelineInfo {
        guard case .pipeline(let info) = result else {
            throw RPCError(code: .internalError, message: "the state machine answered \(result) for a pipeline command")
        }
        return Self.wire(info)
    }

    func now() -> UInt64 {
        UInt64(clamping: backend.nowNanos())
    }

    static func name(_ text: String) throws(RPCError) -> RepoName {
        do { return try RepoName(text) } catch { throw StatusMapping.rpcError(for: error) }
    }

    static func jobID(_ text: String) throws(RPCError) -> CommitID {
        do { return try CommitID(text) } catch {
            throw RPCError(code: .invalidArgument, message: "invalid job id '\(text)': a job id is 32 lowercase hexadecimal digits")
        }
    }

    // MARK: Wire forms

    static func wire(_ info: PipelineInfo) -> Pps_PipelineInfo {
        var wire = Pps_PipelineInfo()
        wire.name = info.name.text
        wire.specJson = info.specText
        wire.version = info.version
        wire.state = info.stopped ? "stopped" : "running"
        wire.createdAtNanos = Int64(clamping: info.createdAtNanos)
        wire.description_p = info.description
        wire.inputs = info.inputs
        wire.lastJobID = info.lastJob?.description ?? ""
        wire.lastJobState = info.lastJobState?.description ?? ""
        wire.outputBranch = info.outputBranch.text
        return wire
    }

    static func wire(_ info: JobInfo, outputSize: UInt64) -> Pps_JobInfo {
        var wire = Pps_JobInfo()
        wire.id = info.id.description
        wire.pipeline = info.pipeline.text
        wire.pipelineVersion = info.pipelineVersion
        wire.state = info.state.description
        wire.reason = info.reason
        wire.inputs = info.inputs.map { input in
            var wire = Pps_JobInput()
            wire.name = input.name
            wire.repo = input.branch.repo.text
            wire.branch = input.branch.branch.text
            wire.commitID = input.commit.description
            return wire
        }
        wire.outputCommitID = info.id.description
        wire.createdAtNanos = Int64(clamping: info.createdAtNanos)
        wire.finishedAtNanos = Int64(clamping: info.finishedAtNanos)
        wire.datumsTotal = info.datumsTotal
        wire.datumsProcessed = info.datumsProcessed
        wire.datumsSkipped = info.datumsSkipped
        wire.datumsFailed = info.datumsFailed
        wire.batchesTotal = info.batchesTotal
        wire.batchesDone = info.batchesDone
        wire.localBytes = info.localBytes
        wire.remoteBytes = info.remoteBytes
        wire.outputSizeBytes = info.state == .success ? outputSize : 0
        return wire
    }
}

extension JobState {
    init?(wire: String) {
        switch wire {
        case "starting": self = .starting
        case "running": self = .running
        case "success": self = .success
        case "failure": self = .failure
        case "killed": self = .killed
        default: return nil
        }
    }
}

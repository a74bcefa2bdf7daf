import PFS

/// Pure reads, for API handlers, the coordinator and the workers.
extension JobsState {
    public func listPipelines() -> [PipelineInfo] {
        pipelines.keys.sorted().map { pipelineInfo(pipelines[$0]!) }
    }

    public func inspectPipeline(_ name: RepoName) throws(PFSError) -> PipelineInfo {
        pipelineInfo(try pipeline(name))
    }

    public func pipelineRecord(_ name: RepoName) throws(PFSError) -> PipelineRecord {
        try pipeline(name)
    }

    /// Every pipeline record, by name.
    public func pipelineRecords() -> [PipelineRecord] {
        pipelines.keys.sorted().map { pipelines[$0]! }
    }

    /// Jobs newest first, of one pipeline or all.
    public func listJobs(pipeline name: RepoName? = nil) throws(PFSError) -> [JobInfo] {
        if let name { _ = try pipeline(name) }
        return jobs.values.filter { name == nil || $0.pipeline == name }
            .sorted { $0.sequence > $1.sequence }.map(\.info)
    }

    public func jobRecord(_ id: CommitID) throws(PFSError) -> JobRecord {
        try job(id)
    }

    /// An input of `job` that is the output of an upstream job that failed or was killed, described
    /// ("edges@<commit> (job <id> failure: why)"); nil when every input is sound.
    public func failedUpstream(of job: JobRecord) -> String? {
        for input in job.inputs {
            guard let upstream = jobs[input.commit], upstream.state == .failure || upstream.state == .killed else { continue }
            return "\(input.branch.repo)@\(input.commit) (job \(upstream.id) \(upstream.state): \(upstream.reason))"
        }
        return nil
    }

    /// Jobs that have not ended, oldest first.
    public func activeJobs() -> [JobRecord] {
        jobs.values.filter { !$0.state.isDone }.sorted { $0.sequence < $1.sequence }
    }
}

extension MetadataStateMachine {
    /// A pure read of the jobs state (and PFS beside it).
    public func jobs<T: Sendable>(_ body: (borrowing MetadataState, JobsState) throws(PFSError) -> T) throws(PFSError) -> T {
        try readExtension(JobsState.self, body)
    }
}

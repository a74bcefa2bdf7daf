import PFS

extension JobsState {
    /// The most pipelines a cluster holds (each costs every node its spec and reuse table).
    public static let pipelinesMax = 1_000

    /// Creates a pipeline with its output repo and branch (provenance: every input branch; input
    /// branches that do not exist yet are created empty), or replaces an existing one's spec.
    mutating func createPipeline(_ text: String, update: Bool, reprocess: Bool, atNanos: UInt64,
                                 pfs: inout MetadataState) throws(PFSError) -> PipelineInfo {
        let spec: PipelineSpec
        do { spec = try PipelineSpec(parsing: text) } catch { throw .invalidArgument(error.description) }
        let inputs = spec.input.leaves
        let existing = pipelines[spec.name]
        switch (existing, update) {
        case (.some, false): throw .alreadyExists("pipeline \(spec.name) already exists (use update pipeline)")
        case (.none, true): throw .notFound("pipeline \(spec.name) not found (use create pipeline)")
        default: break
        }
        if existing == nil && pipelines.count >= Self.pipelinesMax {
            throw .limitExceeded("the cluster holds \(Self.pipelinesMax) pipelines, the most it may")
        }
        if let existing, existing.spec.outputBranch != spec.outputBranch {
            throw .invalidArgument("output_branch cannot change in an update (it is \(existing.spec.outputBranch))")
        }
        if existing == nil, pfs.listRepos().contains(where: { $0.name == spec.name }) {
            throw .repoExists(spec.name)
        }
        for input in inputs {
            _ = try pfs.inspectRepo(input.repo)
            // An output read by its own pipeline would trigger itself forever; chains must not loop.
            if input.repo == spec.name { throw .invalidArgument("pipeline \(spec.name) cannot read its own output repo") }
            if try upstreamPipelines(of: input.repo).contains(spec.name) {
                throw .invalidArgument("input \(input.repo) is downstream of pipeline \(spec.name): pipelines may not form a cycle")
            }
        }

        let before = pfs
        do throws(PFSError) {
            for input in inputs where (try? pfs.inspectBranch(BranchKey(input.repo, input.branch))) == nil {
                _ = try Self.run(.createBranch(BranchKey(input.repo, input.branch), head: nil, provenance: []), on: &pfs)
            }
            let provenance = Array(Set(inputs.map { BranchKey($0.repo, $0.branch) })).sorted()
            if existing == nil {
                _ = try Self.run(.createRepo(spec.name, description: "output of pipeline \(spec.name)",
                                             createdAtNanos: atNanos), on: &pfs)
            }
            let output = BranchKey(spec.name, spec.outputBranch)
            let head = (try? pfs.inspectBranch(output))?.head
            _ = try Self.run(.createBranch(output, head: head.map { .commit($0, in: spec.name) }, provenance: provenance),
                             on: &pfs)
        } catch {
            pfs = before
            throw error
        }

        if var record = existing {
            record.spec = spec
            record.version += 1
            if reprocess { record.salt = "\(record.version)-\(atNanos)" }
            pipelines[spec.name] = record
        } else {
            pipelines[spec.name] = PipelineRecord(spec: spec, version: 1, salt: "1-\(atNanos)", stopped: false,
                                                  createdAtNanos: atNanos, lastJob: nil, lastInputs: [], lastVersion: 0,
                                                  reusable: [:])
        }
        return pipelineInfo(pipelines[spec.name]!)
    }

    /// Deletes a pipeline and its output repo; its jobs go too. Refused while another pipeline reads it.
    mutating func deletePipeline(_ name: RepoName, pfs: inout MetadataState) throws(PFSError) {
        _ = try pipeline(name)
        let readers = pipelines.values.filter { $0.spec.input.leaves.contains { $0.repo == name } }.map(\.name).sorted()
        if let reader = readers.first {
            throw .failedPrecondition("pipeline \(reader) reads the output of \(name); delete it first")
        }
        _ = try Self.run(.deleteRepo(name, force: true), on: &pfs)
        pipelines[name] = nil
        for id in jobs.values.filter({ $0.pipeline == name }).map(\.id) { jobs[id] = nil }
    }

    /// Stops a pipeline (its running job is killed) or starts it again.
    mutating func setStopped(_ name: RepoName, stopped: Bool, atNanos: UInt64,
                             pfs: inout MetadataState) throws(PFSError) -> PipelineInfo {
        _ = try pipeline(name)
        if stopped, let active = activeJob(of: name) {
            _ = try endJob(active.id, state: .killed, reason: "the pipeline was stopped", atNanos: atNanos, pfs: &pfs)
        }
        pipelines[name]!.stopped = stopped
        return pipelineInfo(pipelines[name]!)
    }

    /// The pipelines whose outputs feed `repo`, transitively (`repo` itself when it is one).
    func upstreamPipelines(of repo: RepoName) throws(PFSError) -> Set<RepoName> {
        var seen = Set<RepoName>()
        var queue = [repo]
        while let next = queue.popLast() {
            guard let record = pipelines[next], seen.insert(next).inserted else { continue }
            queue += record.spec.input.leaves.map(\.repo)
        }
        return seen
    }

    func pipelineInfo(_ record: PipelineRecord) -> PipelineInfo {
        record.info(lastJobState: record.lastJob.flatMap { jobs[$0]?.state })
    }
}

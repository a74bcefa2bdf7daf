import PFS
import Replication

/// Pipelines and jobs as one pure value, kept by the Raft state machine beside PFS metadata
/// (`MetadataExtension`): one entry can record a job and open its output commit, atomically.
///
/// The PFS rules hold: check everything, then change (a refused command leaves both states as they
/// were); no clock, randomness or I/O; everything listed or encoded is sorted.
public struct JobsState: MetadataExtension, Equatable {
    var pipelines: [RepoName: PipelineRecord] = [:]
    var jobs: [CommitID: JobRecord] = [:]
    var nextSequence: UInt64 = 1

    /// No pipelines.
    public init() {}

    // MARK: MetadataExtension

    public mutating func apply(_ bytes: [UInt8], pfs: inout MetadataState) -> [UInt8] {
        let command: JobsCommand
        do { command = try JobsCommand(decoding: bytes) } catch { return JobsResult.failed(error).encoded }
        return apply(command, pfs: &pfs).encoded
    }

    /// Executes `command`; a refusal answers `.failed` and changes nothing.
    public mutating func apply(_ command: JobsCommand, pfs: inout MetadataState) -> JobsResult {
        do throws(PFSError) {
            switch command {
            case .createPipeline(let text, let update, let reprocess, let atNanos):
                return .pipeline(try createPipeline(text, update: update, reprocess: reprocess, atNanos: atNanos, pfs: &pfs))
            case .deletePipeline(let name):
                try deletePipeline(name, pfs: &pfs)
                return .done
            case .setStopped(let name, let stopped, let atNanos):
                return .pipeline(try setStopped(name, stopped: stopped, atNanos: atNanos, pfs: &pfs))
            case .startJob(let pipeline, let version, let id, let inputs, let atNanos):
                return .job(try startJob(pipeline, version: version, id: id, inputs: inputs, atNanos: atNanos, pfs: &pfs))
            case .planJob(let id, let datums, let batches, let local, let remote):
                return .job(try planJob(id, datums: datums, batches: batches, localBytes: local, remoteBytes: remote))
            case .finishBatch(let id, let batch, let node, let restarts, let root, let outcomes):
                return .job(try finishBatch(id, batch: batch, node: node, restarts: restarts, root: root, outcomes: outcomes))
            case .moveBatch(let id, let batch, let from, let to):
                return .job(try moveBatch(id, batch: batch, from: from, to: to))
            case .finishJob(let id, let success, let reason, let root, let size, let atNanos):
                return .job(try finishJob(id, success: success, reason: reason, rootTreeID: root, sizeBytes: size,
                                          atNanos: atNanos, pfs: &pfs))
            case .stopJob(let id, let reason, let atNanos):
                return .job(try endJob(id, state: .killed, reason: reason, atNanos: atNanos, pfs: &pfs))
            case .restartDatums(let id, let datums):
                return .job(try restartDatums(id, datums: datums))
            }
        } catch {
            return .failed(error)
        }
    }

    /// Only a pipeline's jobs write its output repo, and its inputs stay while it reads them.
    public func refusal(of command: MetadataCommand, in pfs: MetadataState) -> PFSError? {
        func output(_ repo: RepoName) -> PFSError? {
            guard pipelines[repo] != nil else { return nil }
            return .failedPrecondition("repo \(repo) is the output of pipeline \(repo): only its jobs write it "
                + "(delete the pipeline to delete the repo)")
        }
        func input(_ key: BranchKey?, repo: RepoName) -> PFSError? {
            let readers = pipelines.values.filter { record in
                record.spec.input.leaves.contains { $0.repo == repo && (key == nil || $0.branch == key!.branch) }
            }.map(\.name).sorted()
            guard let first = readers.first else { return nil }
            return .failedPrecondition("\(key.map { "branch \($0)" } ?? "repo \(repo)") is an input of pipeline "
                + "\(first)\(readers.count > 1 ? " and \(readers.count - 1) more" : ""); delete the pipeline first")
        }
        switch command {
        case .createRepo, .registerMember, .setMemberLiveness, .forgetMember:
            return nil
        case .deleteRepo(let name, _):
            return output(name) ?? input(nil, repo: name)
        case .startCommit(let repo, _, _, _, _, _):
            return output(repo)
        case .finishCommit(let ref, _, _, _, _, _), .stageFiles(let ref, _, _, _), .deleteCommit(let ref):
            return output(ref.repo)
        case .commitFiles(let key, _, _, _, _, _, _, _), .createBranch(let key, _, _):
            return output(key.repo)
        case .deleteBranch(let key, _):
            return output(key.repo) ?? input(key, repo: key.repo)
        }
    }

    /// The result trees of every job's finished batches, and of what each pipeline may reuse.
    public func gcTreeRoots() -> [String] {
        var roots = Set<String>()
        for job in jobs.values {
            for datum in job.datums { if let root = datum.result?.root, !root.isEmpty { roots.insert(root) } }
        }
        for pipeline in pipelines.values {
            for result in pipeline.reusable.values where !result.root.isEmpty { roots.insert(result.root) }
        }
        return roots.sorted()
    }

    /// For each pipeline reading the branch `commit` is on: the first job that ran on it or on a later
    /// commit of the branch (a new version's first job runs on the heads, past older commits); if none
    /// has yet, the pipeline is due to run on it (unless it is stopped, or another of its inputs has no
    /// finished head, so that no job can start).
    public func downstream(of commit: CommitID, in pfs: MetadataState) -> (commits: [CommitID], due: [String]) {
        var covering: [CommitID] = []
        var due: [String] = []
        for pipeline in pipelines.values.sorted(by: { $0.name < $1.name }) {
            for leaf in pipeline.spec.input.leaves {
                guard let info = try? pfs.inspectCommit(.commit(commit, in: leaf.repo)), info.branch == leaf.branch,
                      info.finishedAtNanos != nil else { continue }
                // The branch's commits from its head back to `commit`: those a job covering it ran on.
                var later = Set<CommitID>()
                var next = try? pfs.inspectBranch(BranchKey(leaf.repo, leaf.branch)).head
                while let id = next, id != commit, later.count < 100_000 {
                    later.insert(id)
                    next = (try? pfs.inspectCommit(.commit(id, in: leaf.repo)))?.parent
                }
                guard next == commit else { continue }  // not an ancestor of the head any more
                later.insert(commit)
                let first = jobs.values.filter { job in
                    job.pipeline == pipeline.name && job.inputs.contains { $0.name == leaf.name && later.contains($0.commit) }
                }.min { $0.sequence < $1.sequence }
                if let first {
                    covering.append(first.id)
                } else if !pipeline.stopped, Self.canStart(pipeline, pfs) {
                    due.append("pipeline \(pipeline.name) has not yet run on \(leaf.repo)@\(commit)")
                }
            }
        }
        return (covering, due)
    }

    /// Whether `commit` is the head of `branch` or an ancestor of it (bounded walk).
    static func isOnBranch(_ commit: CommitID, _ branch: BranchKey, _ pfs: MetadataState) -> Bool {
        var next = try? pfs.inspectBranch(branch).head
        var steps = 0
        while let id = next, steps < 100_000 {
            if id == commit { return true }
            next = (try? pfs.inspectCommit(.commit(id, in: branch.repo)))?.parent
            steps += 1
        }
        return false
    }

    /// Whether every input branch of `pipeline` has a finished head (what a job needs to start).
    static func canStart(_ pipeline: PipelineRecord, _ pfs: MetadataState) -> Bool {
        pipeline.spec.input.leaves.allSatisfy { leaf in
            guard let head = try? pfs.inspectBranch(BranchKey(leaf.repo, leaf.branch)).head,
                  let info = try? pfs.inspectCommit(.commit(head, in: leaf.repo)) else { return false }
            return info.finishedAtNanos != nil
        }
    }

    // MARK: Lookups

    func pipeline(_ name: RepoName) throws(PFSError) -> PipelineRecord {
        guard let record = pipelines[name] else { throw .notFound("pipeline \(name) not found") }
        return record
    }

    func job(_ id: CommitID) throws(PFSError) -> JobRecord {
        guard let record = jobs[id] else { throw .notFound("job \(id) not found") }
        return record
    }

    /// The running (not yet ended) job of a pipeline.
    func activeJob(of pipeline: RepoName) -> JobRecord? {
        guard let id = pipelines[pipeline]?.lastJob, let job = jobs[id], !job.state.isDone else { return nil }
        return job
    }

    /// Runs a PFS command as part of a jobs command; a refusal becomes this command's.
    static func run(_ command: MetadataCommand, on pfs: inout MetadataState) throws(PFSError) -> MetadataResult {
        let result = pfs.apply(command)
        if case .failed(let error) = result { throw error }
        return result
    }
}

import PFS
import Replication

extension JobsState {
    /// Starts a job on `inputs`: for each input branch a finished commit on it (its head or one before,
    /// the next one the pipeline has not run on: one job per input commit). The output commit's
    /// provenance is exactly these commits and theirs.
    mutating func startJob(_ name: RepoName, version: UInt64, id: CommitID, inputs: [JobInput], atNanos: UInt64,
                           pfs: inout MetadataState) throws(PFSError) -> JobInfo {
        let record = try pipeline(name)
        guard !record.stopped else { throw .failedPrecondition("pipeline \(name) is stopped") }
        guard record.version == version else {
            throw .failedPrecondition("pipeline \(name) is at version \(record.version), not \(version)")
        }
        if let active = activeJob(of: name) { throw .failedPrecondition("pipeline \(name) is running job \(active.id)") }
        if jobs[id] != nil { throw .alreadyExists("job \(id) already exists") }
        let leaves = record.spec.input.leaves
        guard inputs.map(\.name) == leaves.map(\.name),
              inputs.map(\.branch) == leaves.map({ BranchKey($0.repo, $0.branch) }) else {
            throw .invalidArgument("the job's inputs \(inputs) do not match pipeline \(name)'s inputs")
        }
        for input in inputs {
            let commit = try pfs.inspectCommit(.commit(input.commit, in: input.branch.repo))
            guard commit.finishedAtNanos != nil else { throw .commitNotFinished(input.commit) }
            guard Self.isOnBranch(input.commit, input.branch, pfs) else {
                throw .failedPrecondition("commit \(input.commit) is not on branch \(input.branch) (its head or before)")
            }
        }
        let before = pfs
        do throws(PFSError) {
            _ = try Self.run(.startCommit(repo: name, branch: record.spec.outputBranch, parent: nil, id: id,
                                          startedAtNanos: atNanos,
                                          description: "job \(id) of pipeline \(name) v\(version)"), on: &pfs)
            try pfs.replaceProvenance(of: id, with: inputs.map { CommitProvenance(branch: $0.branch, commit: $0.commit) })
        } catch {
            pfs = before
            throw error
        }
        jobs[id] = JobRecord(id: id, pipeline: name, pipelineVersion: version, inputs: inputs, state: .starting,
                             reason: "", createdAtNanos: atNanos, finishedAtNanos: 0, datums: [], batches: [],
                             localBytes: 0, remoteBytes: 0, sequence: nextSequence)
        nextSequence += 1
        pipelines[name]!.lastJob = id
        pipelines[name]!.lastInputs = inputs
        pipelines[name]!.lastVersion = version
        return jobs[id]!.info
    }

    /// Records the plan: every datum not reused is in exactly one batch.
    mutating func planJob(_ id: CommitID, datums: [PlannedDatum], batches: [PlannedBatch], localBytes: UInt64,
                          remoteBytes: UInt64) throws(PFSError) -> JobInfo {
        let job = try job(id)
        guard job.state == .starting else { throw .failedPrecondition("job \(id) is \(job.state), not starting") }
        var owner = [Int](repeating: -1, count: datums.count)
        for (index, batch) in batches.enumerated() {
            guard !batch.datums.isEmpty else { throw .invalidArgument("batch \(index) of job \(id) is empty") }
            for datum in batch.datums {
                let position = Int(datum)
                guard position < datums.count, datums[position].reused == nil, owner[position] < 0 else {
                    throw .invalidArgument("datum \(datum) of job \(id) is out of range, reused or in two batches")
                }
                owner[position] = index
            }
        }
        for (index, datum) in datums.enumerated() where datum.reused == nil && owner[index] < 0 {
            throw .invalidArgument("datum \(index) of job \(id) is in no batch")
        }
        jobs[id]!.datums = datums.enumerated().map { index, datum in
            if let reused = datum.reused {
                return DatumRecord(hash: datum.hash, state: .skipped, node: 0, result: reused, attempts: 0, reason: "",
                                   localBytes: 0, remoteBytes: 0)
            }
            return DatumRecord(hash: datum.hash, state: .pending, node: batches[owner[index]].node, result: nil,
                               attempts: 0, reason: "", localBytes: datum.localBytes, remoteBytes: datum.remoteBytes)
        }
        jobs[id]!.batches = batches.map { BatchRecord(node: $0.node, datums: $0.datums, done: false, moves: 0, restarts: 0) }
        jobs[id]!.localBytes = localBytes
        jobs[id]!.remoteBytes = remoteBytes
        jobs[id]!.state = .running
        return jobs[id]!.info
    }

    /// A batch's outcomes; refused when the batch is done already, was moved to another node, or was
    /// restarted since the run that reports.
    mutating func finishBatch(_ id: CommitID, batch: UInt32, node: MemberID, restarts: UInt32, root: String,
                              outcomes: [DatumOutcomeRecord]) throws(PFSError) -> JobInfo {
        let job = try job(id)
        guard job.state == .running else { throw .failedPrecondition("job \(id) is \(job.state), not running") }
        guard Int(batch) < job.batches.count else { throw .invalidArgument("job \(id) has no batch \(batch)") }
        let record = job.batches[Int(batch)]
        guard !record.done else { throw .failedPrecondition("batch \(batch) of job \(id) is done already") }
        guard record.node == node else {
            throw .failedPrecondition("batch \(batch) of job \(id) runs on node \(record.node), not \(node)")
        }
        guard record.restarts == restarts else {
            throw .failedPrecondition("batch \(batch) of job \(id) was restarted since this run (restart \(record.restarts), not \(restarts))")
        }
        guard outcomes.map(\.datum) == record.datums else {
            throw .invalidArgument("the outcomes of batch \(batch) of job \(id) do not match its datums")
        }
        try MetadataState.checkRootTreeID(root)
        for outcome in outcomes {
            let index = Int(outcome.datum)
            jobs[id]!.datums[index].state = outcome.succeeded ? .success : .failed
            jobs[id]!.datums[index].result = DatumResult(root: root, node: node, durationMillis: outcome.durationMillis)
            jobs[id]!.datums[index].attempts = outcome.attempts
            jobs[id]!.datums[index].reason = String(outcome.reason.utf8.prefix(1_000)) ?? ""
        }
        jobs[id]!.batches[Int(batch)].done = true
        return jobs[id]!.info
    }

    /// Moves an unfinished batch from a node that went down.
    mutating func moveBatch(_ id: CommitID, batch: UInt32, from: MemberID, to: MemberID) throws(PFSError) -> JobInfo {
        let job = try job(id)
        guard job.state == .running else { throw .failedPrecondition("job \(id) is \(job.state), not running") }
        guard Int(batch) < job.batches.count else { throw .invalidArgument("job \(id) has no batch \(batch)") }
        let record = job.batches[Int(batch)]
        guard !record.done, record.node == from else {
            throw .failedPrecondition("batch \(batch) of job \(id) is done or not on node \(from)")
        }
        jobs[id]!.batches[Int(batch)].node = to
        jobs[id]!.batches[Int(batch)].moves += 1
        for datum in record.datums {
            // Where the new node stands is not known here: its reads count as from peers.
            let moved = jobs[id]!.datums[Int(datum)]
            jobs[id]!.datums[Int(datum)].node = to
            jobs[id]!.datums[Int(datum)].localBytes = 0
            jobs[id]!.datums[Int(datum)].remoteBytes = moved.localBytes + moved.remoteBytes
            jobs[id]!.localBytes -= min(jobs[id]!.localBytes, moved.localBytes)
            jobs[id]!.remoteBytes += moved.localBytes
        }
        return jobs[id]!.info
    }

    /// Runs again the batches holding `datums` (which must all be pending): a worker running one of them
    /// sees its restart count move, kills the user code and starts the batch over.
    mutating func restartDatums(_ id: CommitID, datums: [UInt32]) throws(PFSError) -> JobInfo {
        let job = try job(id)
        guard job.state == .running else {
            throw .failedPrecondition("job \(id) is \(job.state), not running; failed datums run again in the pipeline's next job")
        }
        guard !datums.isEmpty else { throw .invalidArgument("name at least one datum to restart") }
        var batches = Set<Int>()
        for datum in datums {
            guard Int(datum) < job.datums.count else { throw .invalidArgument("job \(id) has no datum \(datum)") }
            let record = job.datums[Int(datum)]
            guard record.state == .pending else {
                throw .failedPrecondition("datum \(record.hash.hex.prefix(12)) of job \(id) is \(record.state), not pending")
            }
            guard let batch = job.batches.firstIndex(where: { !$0.done && $0.datums.contains(datum) }) else {
                throw .failedPrecondition("datum \(record.hash.hex.prefix(12)) of job \(id) is in no open batch")
            }
            batches.insert(batch)
        }
        for batch in batches { jobs[id]!.batches[batch].restarts += 1 }
        return jobs[id]!.info
    }

    /// Ends a job with its merged output (success: every batch done, no datum failed) or a failure.
    mutating func finishJob(_ id: CommitID, success: Bool, reason: String, rootTreeID: String, sizeBytes: UInt64,
                            atNanos: UInt64, pfs: inout MetadataState) throws(PFSError) -> JobInfo {
        let job = try job(id)
        if success {
            guard job.state == .running, job.batchesDone == job.batches.count, job.count(.failed) == 0 else {
                throw .failedPrecondition("job \(id) cannot succeed: it is \(job.state) with \(job.batchesDone) of "
                    + "\(job.batches.count) batches done and \(job.count(.failed)) datums failed")
            }
            _ = try Self.run(.finishCommit(.commit(id, in: job.pipeline), finishedAtNanos: atNanos, sizeBytes: sizeBytes,
                                           rootTreeID: rootTreeID), on: &pfs)
            jobs[id]!.state = .success
            jobs[id]!.finishedAtNanos = atNanos
            var reusable: [ChunkID: DatumResult] = [:]
            for datum in jobs[id]!.datums where datum.state == .success || datum.state == .skipped {
                reusable[datum.hash] = datum.result
            }
            pipelines[job.pipeline]?.reusable = reusable
            return jobs[id]!.info
        }
        return try endJob(id, state: .failure, reason: reason, atNanos: atNanos, pfs: &pfs)
    }

    /// Ends a job that did not succeed: its output commit is finished empty.
    mutating func endJob(_ id: CommitID, state: JobState, reason: String, atNanos: UInt64,
                         pfs: inout MetadataState) throws(PFSError) -> JobInfo {
        let job = try job(id)
        guard !job.state.isDone else { throw .failedPrecondition("job \(id) has ended (\(job.state))") }
        try MetadataState.checkDescription(reason)
        _ = try Self.run(.finishCommit(.commit(id, in: job.pipeline), finishedAtNanos: atNanos, sizeBytes: 0,
                                       rootTreeID: ""), on: &pfs)
        jobs[id]!.state = state
        jobs[id]!.reason = reason
        jobs[id]!.finishedAtNanos = atNanos
        return jobs[id]!.info
    }
}

import Logging
import PFS
import Replication

/// The leader's half of jobs (DESIGN.md, "Pipelines, jobs and locality"): starts a job when a
/// pipeline's input heads or version change, plans its datums near their bytes, moves batches off nodes
/// that went down, and merges the outputs into the output commit when every batch is done.
///
/// It keeps nothing of its own: every decision is read from the replicated state and recorded through
/// Raft, so a new leader's coordinator continues exactly where the old one stopped. Each step is
/// idempotent: a proposal the state refuses (another step got there first) is simply looked at again.
public struct Coordinator: Sendable {
    public let io: any JobsIO
    public var options = Scheduler.Options()
    let logger: Logger

    public init(io: any JobsIO, logger: Logger) {
        self.io = io
        self.logger = logger
    }

    /// One pass over every pipeline and active job.
    public func step() async {
        guard io.isLeader() else { return }
        let snapshot: ([PipelineRecord], [JobRecord])
        do { snapshot = try io.metadata.jobs { _, jobs in (jobs.pipelineRecords(), jobs.activeJobs()) } } catch {
            logger.error("jobs state unreadable: \(error)")
            return
        }
        let (pipelines, active) = snapshot
        let busy = Set(active.map(\.pipeline))
        for pipeline in pipelines where !pipeline.stopped && !busy.contains(pipeline.name) {
            await trigger(pipeline)
        }
        for job in active {
            guard let pipeline = pipelines.first(where: { $0.name == job.pipeline }) else { continue }
            do {
                switch job.state {
                case .starting: try await plan(job, pipeline: pipeline)
                case .running: try await advance(job, pipeline: pipeline)
                default: break
                }
            } catch {
                logger.warning("job \(job.id) of \(job.pipeline): \(error)")
            }
        }
    }

    // MARK: Starting jobs

    /// Starts the pipeline's next job, one per input commit: the first job of a version runs on the
    /// input heads; after it, each job moves one input on by one finished commit (of all inputs, the
    /// one whose next commit finished first), so every commit gets a job whose output names it.
    func trigger(_ pipeline: PipelineRecord) async {
        guard let inputs = nextInputs(pipeline) else { return }
        var generator = SystemRandomNumberGenerator()
        let id = CommitID.random(using: &generator)
        await propose(.startJob(pipeline: pipeline.name, version: pipeline.version, id: id, inputs: inputs,
                                atNanos: io.now()), what: "start a job of \(pipeline.name)")
    }

    /// The inputs of the pipeline's next job, or nil when it has run on every finished commit.
    func nextInputs(_ pipeline: PipelineRecord) -> [JobInput]? {
        let leaves = pipeline.spec.input.leaves
        let keys = leaves.map { BranchKey($0.repo, $0.branch) }
        let fresh = pipeline.version != pipeline.lastVersion || pipeline.lastInputs.map(\.branch) != keys
        if fresh {
            var heads: [JobInput] = []
            for (leaf, key) in zip(leaves, keys) {
                guard let head = finishedHead(key) else { return nil }
                heads.append(JobInput(name: leaf.name, branch: key, commit: head))
            }
            return heads
        }
        var best: (leaf: Int, commit: CommitID, finished: UInt64)?
        for (index, key) in keys.enumerated() {
            guard let next = nextCommit(on: key, after: pipeline.lastInputs[index].commit) else { continue }
            if best == nil || next.finished < best!.finished { best = (index, next.id, next.finished) }
        }
        guard let best else { return nil }
        var inputs = pipeline.lastInputs
        inputs[best.leaf].commit = best.commit
        return inputs
    }

    /// The branch's head, when it is finished.
    func finishedHead(_ key: BranchKey) -> CommitID? {
        guard let head = try? io.metadata.inspectBranch(key).head,
              let commit = try? io.metadata.inspectCommit(.commit(head, in: key.repo)),
              commit.finishedAtNanos != nil else { return nil }
        return head
    }

    /// The finished commit right after `last` on the branch (walking back from its head), or its
    /// finished head when `last` is no longer on it; nil when nothing finished came after `last`.
    func nextCommit(on key: BranchKey, after last: CommitID) -> (id: CommitID, finished: UInt64)? {
        var newer: (id: CommitID, finished: UInt64)?
        var next = try? io.metadata.inspectBranch(key).head
        var steps = 0
        while let id = next, steps < 100_000 {
            if id == last { return newer }
            guard let commit = try? io.metadata.inspectCommit(.commit(id, in: key.repo)) else { break }
            if let finished = commit.finishedAtNanos { newer = (id, finished) }
            next = commit.parent
            steps += 1
        }
        // `last` is not behind the head any more (the branch was moved): start from the head.
        return finishedHead(key).flatMap { head in
            (try? io.metadata.inspectCommit(.commit(head, in: key.repo)))?.finishedAtNanos.map { (head, $0) }
        }.flatMap { $0.id == last ? nil : $0 }
    }

    // MARK: Planning

    /// Enumerates the datums, reuses what an earlier job processed, and places the rest near their bytes.
    func plan(_ job: JobRecord, pipeline: PipelineRecord) async throws {
        if let failed = try io.metadata.jobs({ _, jobs in jobs.failedUpstream(of: job) }) {
            await fail(job, because: "inputs failed: \(failed)")
            return
        }
        let datums: [Datum]
        do { datums = try await io.datums(of: job, spec: pipeline.spec) } catch let error as PFSError {
            await fail(job, because: "its datums could not be listed: \(error)")
            return
        }
        var planned: [PlannedDatum] = []
        var pending: [Int] = []
        for (index, datum) in datums.enumerated() {
            let hash = datum.hash(pipeline: pipeline.name, salt: pipeline.salt)
            planned.append(PlannedDatum(hash: hash, reused: pipeline.reusable[hash]))
            if planned[index].reused == nil { pending.append(index) }
        }
        let workers = io.liveWorkers()
        var batches: [PlannedBatch] = []
        var local: UInt64 = 0
        var remote: UInt64 = 0
        if !pending.isEmpty {
            guard !workers.isEmpty else { return }  // nobody to run it yet: the next step plans again
            var bytes: [Scheduler.DatumBytes] = []
            for index in pending { bytes.append(try await locality(of: datums[index])) }
            let plan = try Scheduler.plan(bytes, workers: workers, options: options)
            batches = plan.batches.map { PlannedBatch(node: $0.node, datums: $0.datums.map { UInt32(pending[$0]) }) }
            for (position, index) in pending.enumerated() {
                let held = min(bytes[position].local[plan.nodeOf[position], default: 0], bytes[position].total)
                planned[index].localBytes = held
                planned[index].remoteBytes = bytes[position].total - held
            }
            local = plan.localBytes
            remote = plan.remoteBytes
        }
        let nodes = Set(batches.map(\.node)).count
        logger.info("job \(job.id) of \(pipeline.name): \(datums.count) datums, \(datums.count - pending.count) reused, \(batches.count) batches on \(nodes) nodes")
        await propose(.planJob(job.id, datums: planned, batches: batches, localBytes: local, remoteBytes: remote),
                      what: "plan job \(job.id)")
    }

    /// How many of a datum's bytes each node holds: every chunk of every file under it counts on each of
    /// its holders.
    func locality(of datum: Datum) async throws -> Scheduler.DatumBytes {
        var local: [MemberID: UInt64] = [:]
        for part in datum.parts {
            let files: [TreeEntry]
            if part.entry.isDirectory {
                files = try await collect(FileTree(root: part.entry.id, reader: io.trees).walk())
            } else {
                files = [part.entry]
            }
            for file in files {
                for piece in try await io.trees.fileObject(file.id).pieces {
                    for holder in io.holders(of: piece.chunk) { local[holder, default: 0] += UInt64(piece.sizeBytes) }
                }
            }
        }
        return Scheduler.DatumBytes(total: datum.sizeBytes, local: local)
    }

    // MARK: Running and merging

    func advance(_ job: JobRecord, pipeline: PipelineRecord) async throws {
        if let timeout = pipeline.spec.jobTimeout, io.now() > job.createdAtNanos,
           Duration.nanoseconds(Int64(clamping: io.now() - job.createdAtNanos)) > timeout {
            await fail(job, because: "it ran longer than its job_timeout (\(timeout))")
            return
        }
        if job.batchesDone < job.batches.count {
            try await moveStrandedBatches(job)
            return
        }
        let failed = job.datums.indices.filter { job.datums[$0].state == .failed }
        if let first = failed.first {
            let datum = job.datums[first]
            await fail(job, because: "\(failed.count) of \(job.datums.count) datums failed; datum "
                + "\(datum.hash.hex.prefix(12)): \(datum.reason)")
            return
        }
        let merged: TreeBuilder.Result
        do { merged = try await merge(job) } catch let conflict as MergeConflict {
            await fail(job, because: conflict.description)
            return
        }
        await propose(.finishJob(job.id, success: true, reason: "", rootTreeID: merged.root?.hex ?? "",
                                 sizeBytes: merged.sizeBytes, atNanos: io.now()), what: "finish job \(job.id)")
    }

    /// Batches whose node is down go to the live worker with the fewest open batches.
    func moveStrandedBatches(_ job: JobRecord) async throws {
        let live = io.liveWorkers().map(\.node)
        guard !live.isEmpty else { return }
        var load = Dictionary(uniqueKeysWithValues: live.map { ($0, 0) })
        for batch in job.batches where !batch.done && load[batch.node] != nil { load[batch.node]! += 1 }
        for (index, batch) in job.batches.enumerated() where !batch.done && load[batch.node] == nil {
            let target = load.min { $0.value != $1.value ? $0.value < $1.value : $0.key < $1.key }!.key
            load[target]! += 1
            logger.info("job \(job.id): batch \(index) moves from node \(batch.node) (down) to node \(target)")
            await propose(.moveBatch(job.id, batch: UInt32(index), from: batch.node, to: target),
                          what: "move batch \(index) of job \(job.id)")
        }
    }

    /// Two datums wrote one path.
    struct MergeConflict: Error, CustomStringConvertible {
        var path: PFSPath
        var first: String
        var second: String
        var description: String {
            "datums \(first.prefix(12)) and \(second.prefix(12)) both wrote \(path); "
                + "each output path must come from one datum"
        }
    }

    /// The output tree: every processed or reused datum's `/pfs/out` files at their paths, by reference
    /// (no bytes copied). Each batch's result tree is walked once, for all of its datums this job keeps.
    func merge(_ job: JobRecord) async throws -> TreeBuilder.Result {
        var wanted: [String: Set<String>] = [:]  // result root → hashes (hex) of this job's datums in it
        for datum in job.datums {
            guard let result = datum.result, !result.root.isEmpty else { continue }
            wanted[result.root, default: []].insert(datum.hash.hex)
        }
        var writer: [PFSPath: String] = [:]
        var intents: [FileIntent] = []
        for (rootHex, hashes) in wanted.sorted(by: { $0.key < $1.key }) {
            guard let root = ChunkID(hex: rootHex) else { continue }
            let outputs = FileTree(root: root, reader: io.trees).walk(under: try PFSPath.root.appending("out"))
            for entry in try await collect(outputs) {
                let parts = entry.path.components  // out/<hash>/<path>: see DatumResult.outputFolder
                guard parts.count > 2, parts[0] == "out", hashes.contains(parts[1]) else { continue }
                let path = try PFSPath(components: Array(parts.dropFirst(2)))
                if let other = writer.updateValue(parts[1], forKey: path), other != parts[1] {
                    throw MergeConflict(path: path, first: other, second: parts[1])
                }
                intents.append(.copy(entry, to: path))
            }
        }
        return try await NewCommitResolver.build(base: nil, intents: intents, reader: io.trees)
    }

    func fail(_ job: JobRecord, because reason: String) async {
        logger.warning("job \(job.id) of \(job.pipeline) failed: \(reason)")
        await propose(.finishJob(job.id, success: false, reason: String(reason.prefix(2_000)), rootTreeID: "",
                                 sizeBytes: 0, atNanos: io.now()), what: "fail job \(job.id)")
    }

    /// Proposes; a refusal only means the state moved on (the next step looks again).
    func propose(_ command: JobsCommand, what: String) async {
        do {
            if case .failed(let refusal) = try await io.propose(command) {
                logger.debug("could not \(what): \(refusal)")
            }
        } catch {
            logger.info("could not \(what): \(error)")
        }
    }
}

func collect(_ walk: TreeWalk) async throws -> [TreeEntry] {
    var entries: [TreeEntry] = []
    for try await entry in walk { entries.append(entry) }
    return entries
}

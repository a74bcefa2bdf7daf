import Foundation
import Logging
import PFS
import Replication
import Synchronization

/// Every node's half of jobs: runs the batches the plan gives this node, each datum in the container
/// runtime over a materialized copy of its inputs, stores what the code left in `/pfs/out` (and its
/// logs) as a result tree in the chunk store, and reports the batch through Raft.
///
/// Like the coordinator it keeps no state that matters: a node that restarts finds its unfinished
/// batches in the replicated state and runs them again (a report for a batch already done or moved is
/// refused and dropped). A batch that stops being this node's to run (its job was stopped or ended, it
/// moved, or `restart datum` restarted it) is cancelled: its user code is killed at once.
public final class Worker: Sendable {
    public let io: any JobsIO
    let runtime: any ContainerRuntime
    /// Where datums' inputs and outputs are laid out while they run (emptied per datum).
    let scratch: String
    let slots: Int
    let logger: Logger
    /// Where datums' inputs are shown as FUSE views; nil: they are copied to local files.
    let views: DatumViews?
    /// Batches running here (with their tasks), those whose report is being proposed (no longer
    /// cancelled: their code has finished), and those reported (whose "done" this node may not have
    /// applied yet), as "job/batch/restarts".
    private let running = Mutex((running: [String: Task<Void, Never>](), reporting: Set<String>(), reported: Set<String>()))
    /// The datums of the jobs this node runs batches of, listed once per job (not once per batch).
    private let datumLists = Mutex([CommitID: [Datum]]())

    public init(io: any JobsIO, runtime: any ContainerRuntime, scratch: String, slots: Int, logger: Logger,
                views: DatumViews? = nil) {
        self.io = io
        self.views = views
        self.runtime = runtime
        self.scratch = scratch
        self.slots = max(1, slots)
        self.logger = logger
    }

    /// Starts the batches assigned here that are not running yet, up to the free slots.
    public func step() {
        let mine: [(JobRecord, Int)]
        do {
            mine = try io.metadata.jobs { _, jobs in
                jobs.activeJobs().filter { $0.state == .running }.flatMap { job in
                    job.batches.indices.filter { !job.batches[$0].done && job.batches[$0].node == io.nodeID }
                        .map { (job, $0) }
                }
            }
        } catch {
            logger.error("jobs state unreadable: \(error)")
            return
        }
        func key(_ job: JobRecord, _ batch: Int) -> String { "\(job.id)/\(batch)/\(job.batches[batch].restarts)" }
        let keys = Set(mine.map { key($0.0, $0.1) })
        let jobs = Set(mine.map(\.0.id))
        datumLists.withLock { lists in lists = lists.filter { jobs.contains($0.key) } }
        let unwanted = running.withLock { state -> [(String, Task<Void, Never>)] in
            state.reported.formIntersection(keys)
            return state.running.filter { !keys.contains($0.key) && !state.reporting.contains($0.key) }.map { ($0.key, $0.value) }
        }
        for (key, task) in unwanted {
            logger.info("batch \(key) is no longer this node's to run: its user code is killed")
            task.cancel()
        }
        for (job, batch) in mine {
            let key = key(job, batch)
            let started = running.withLock { state -> Bool in
                guard state.running.count < slots, state.running[key] == nil, !state.reported.contains(key) else {
                    return false
                }
                let task = Task {
                    do {
                        if try await run(job, batch: batch, key: key) { _ = running.withLock { $0.reported.insert(key) } }
                    } catch is CancellationError {
                        logger.info("batch \(batch) of job \(job.id) cancelled")
                    } catch {
                        logger.warning("batch \(batch) of job \(job.id): \(error); it runs again")
                        try? await Task.sleep(for: .seconds(1))
                    }
                    running.withLock { state in
                        state.running.removeValue(forKey: key)
                        state.reporting.remove(key)
                    }
                }
                state.running[key] = task
                return true
            }
            guard started else { continue }
        }
    }

    /// Runs one batch and reports it; whether the report was made (or refused because the batch is done).
    /// What the datums leave stays on disk until the whole batch's files are stored together (one pass of
    /// replicated writes for the batch, not one per file).
    func run(_ job: JobRecord, batch index: Int, key: String) async throws -> Bool {
        let pipeline = try io.metadata.jobs { (_, jobs) throws(PFSError) in try jobs.pipelineRecord(job.pipeline) }
        let spec = pipeline.spec
        let datums: [Datum]
        if let listed = datumLists.withLock({ $0[job.id] }) {
            datums = listed
        } else {
            datums = try await io.datums(of: job, spec: spec)
            datumLists.withLock { $0[job.id] = datums }
        }
        let batch = job.batches[index]
        let folder = "\(scratch)/\(job.id)/batch-\(index)-\(batch.restarts)"
        defer {
            try? FileManager.default.removeItem(atPath: folder)
            rmdir("\(scratch)/\(job.id)")  // once the job's last batch here is done
        }
        // With FUSE views, the batch's datums show one after another as one view, whose input folders
        // the batch's sandbox binds once.
        let view = views.map { _ in "\(job.id)-\(index)-\(batch.restarts)" }
        let inputNames = batch.datums.flatMap { datums[Int($0)].parts.map(\.input) }.reduce(into: [String]()) {
            if !$0.contains($1) { $0.append($1) }
        }
        var bound: [String: String] = [:]
        if let views, let view {
            views.declare(view, inputs: inputNames)
            for name in inputNames { bound[name] = "\(views.mountpoint)/\(view)/\(name)" }
        }
        defer { if let view { views?.hide(view) } }
        // One sandbox for the whole batch where it can be shared (see BatchSandbox).
        var sandbox: BatchSandbox?
        if batch.datums.count > 1, let bwrap = runtime as? BwrapRuntime, BatchSandbox.usable(image: spec.transform.image) {
            do { sandbox = try BatchSandbox(runtime: bwrap, folder: folder + "/sandbox", boundInputs: bound) } catch {
                logger.warning("batch \(index) of job \(job.id) runs a sandbox per datum: \(error)")
            }
        }
        defer { sandbox?.close() }
        var results: [ResultFile] = []
        var outcomes: [DatumOutcomeRecord] = []
        for position in batch.datums {
            let datum = datums[Int(position)]
            let hash = job.datums[Int(position)].hash
            var (outcome, files) = try await runDatum(datum, hash: hash, spec: spec, job: job.id, folder: folder,
                                                      sandbox: sandbox, view: view, inputNames: inputNames)
            outcome.datum = position
            outcomes.append(outcome)
            results += files
        }
        try Task.checkCancellation()
        let stored = try await io.store(files: results.map(\.hostPath))
        let intents = zip(results, stored).map { FileIntent.put($0.path, object: $1.object, sizeBytes: $1.sizeBytes) }
        let built = try await NewCommitResolver.build(base: nil, intents: intents, reader: io.trees)
        let reporting = running.withLock { state -> Bool in
            guard !Task.isCancelled else { return false }
            state.reporting.insert(key)
            return true
        }
        guard reporting else { throw CancellationError() }
        let answer = try await io.propose(.finishBatch(job.id, batch: UInt32(index), node: io.nodeID,
                                                       restarts: batch.restarts, root: built.root?.hex ?? "",
                                                       outcomes: outcomes))
        if case .failed(let refusal) = answer { logger.info("batch \(index) of job \(job.id) not recorded: \(refusal)") }
        return true
    }

    /// A file of a batch's result tree, still on this node's disk.
    struct ResultFile {
        var path: PFSPath
        var hostPath: String
    }

    /// Runs one datum up to `datum_tries` times: its outcome, and the files of its result (outputs on
    /// success, logs always) under `/<hash>/`, left in `folder/<hash>` for the batch to store.
    func runDatum(_ datum: Datum, hash: ChunkID, spec: PipelineSpec, job: CommitID, folder: String,
                  sandbox: BatchSandbox? = nil, view: String? = nil, inputNames: [String] = [])
        async throws -> (DatumOutcomeRecord, [ResultFile]) {
        func present(into root: String) async throws -> [DatumRun.Input] {
            if let views, let view { return views.show(datum, as: view, inputs: inputNames) }
            return try await materialize(datum, into: root)
        }
        let directory = "\(folder)/\(hash.hex)"
        var attempts: UInt32 = 0
        var last: DatumOutcome?
        var reason = ""
        var env = spec.transform.env
        env["PACH_JOB_ID"] = job.description
        env["PACH_OUTPUT_COMMIT_ID"] = job.description
        env["PACH_DATUM_ID"] = hash.hex
        let output = directory + "/out"
        while attempts < spec.datumTries {
            try Task.checkCancellation()
            attempts += 1
            try? FileManager.default.removeItem(atPath: directory)
            let inputs = try await present(into: directory + "/in")
            defer { try? FileManager.default.removeItem(atPath: directory + "/in") }
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            let run = DatumRun(cmd: spec.transform.cmd, stdin: spec.transform.stdin, env: env,
                               inputs: inputs, output: output, image: spec.transform.image, timeout: spec.datumTimeout)
            do {
                let outcome = try await execute(run, sandbox: sandbox)
                try Task.checkCancellation()
                last = outcome
                if outcome.succeeded(accepting: spec.transform.acceptReturnCodes) {
                    var files = try outputFiles(output, under: try DatumResult.outputFolder(of: hash))
                    files += try logFiles(outcome, hash: hash, directory: directory)
                    return (DatumOutcomeRecord(datum: 0, succeeded: true, durationMillis: Self.millis(outcome.duration),
                                               attempts: attempts, reason: ""), files)
                }
                reason = outcome.summary
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                try Task.checkCancellation()
                reason = "\(error)"
            }
        }
        try? FileManager.default.removeItem(atPath: output)
        // The datum failed every try; err_cmd may still accept it (with no output).
        var recovered = false
        if let errCmd = spec.transform.errCmd {
            let errOutput = directory + "/err-out"
            try FileManager.default.createDirectory(atPath: errOutput, withIntermediateDirectories: true)
            let inputs = try await present(into: directory + "/in-err")
            if let outcome = try? await runtime.run(DatumRun(cmd: errCmd, env: env, inputs: inputs,
                                                            output: errOutput, image: spec.transform.image,
                                                            timeout: spec.datumTimeout)) {
                recovered = outcome.succeeded()
            }
            try? FileManager.default.removeItem(atPath: directory + "/in-err")
        }
        var files: [ResultFile] = []
        if let last { files = try logFiles(last, hash: hash, directory: directory) }
        return (DatumOutcomeRecord(datum: 0, succeeded: recovered, durationMillis: last.map { Self.millis($0.duration) } ?? 0,
                                   attempts: attempts, reason: recovered ? "" : String(reason.prefix(1_000))), files)
    }

    /// Runs in the batch's sandbox while it lives, else in a container of its own.
    func execute(_ run: DatumRun, sandbox: BatchSandbox?) async throws -> DatumOutcome {
        if let sandbox, !sandbox.ended, BatchSandbox.accepts(run) {
            do { return try await sandbox.run(run) } catch {
                try Task.checkCancellation()
                logger.warning("the batch's sandbox failed (\(error)); its datums run one container each")
                sandbox.close()
            }
        }
        return try await runtime.run(run)
    }

    /// Lays out each part of the datum at its original path under `<root>/<input name>`.
    func materialize(_ datum: Datum, into root: String) async throws -> [DatumRun.Input] {
        var inputs: [String: DatumRun.Input] = [:]
        for part in datum.parts {
            let base = "\(root)/\(part.input)"
            try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
            inputs[part.input] = DatumRun.Input(name: part.input, hostPath: base, datumPath: part.entry.path.description)
            let files: [TreeEntry]
            if part.entry.isDirectory {
                files = try await collect(FileTree(root: part.entry.id, reader: io.trees).walk()).map { file in
                    var moved = file
                    moved.path = (try? PFSPath(components: part.entry.path.components + file.path.components)) ?? file.path
                    return moved
                }
            } else {
                files = [part.entry]
            }
            for file in files {
                let path = base + file.path.description
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                        withIntermediateDirectories: true)
                try await io.materialize(file: file.id, to: path)
            }
        }
        // Inputs readable by others: bwrap runs the code as nobody.
        _ = try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: root)
        return datum.parts.map(\.input).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
            .map { inputs[$0]! }
    }

    /// Every regular file under `directory`, at its relative path under `prefix` (links are not followed).
    func outputFiles(_ directory: String, under prefix: PFSPath) throws -> [ResultFile] {
        var files: [ResultFile] = []
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return [] }
        var relatives: [String] = []
        while let relative = walker.nextObject() as? String { relatives.append(relative) }
        for relative in relatives.sorted() {
            let full = directory + "/" + relative
            let attributes = try FileManager.default.attributesOfItem(atPath: full)
            guard attributes[.type] as? FileAttributeType == .typeRegular else { continue }
            let path = try PFSPath(components: prefix.components + relative.split(separator: "/").map(String.init))
            files.append(ResultFile(path: path, hostPath: full))
        }
        return files
    }

    /// The kept stdout and stderr, written beside the datum's output, as `/<hash>/stdout` and `/<hash>/stderr`.
    func logFiles(_ outcome: DatumOutcome, hash: ChunkID, directory: String) throws -> [ResultFile] {
        var files: [ResultFile] = []
        for (name, bytes) in [("stdout", outcome.stdout), ("stderr", outcome.stderr)] where !bytes.isEmpty {
            let file = "\(directory)/\(name).log"
            try Data(bytes).write(to: URL(fileURLWithPath: file))
            files.append(ResultFile(path: try DatumResult.log(name, of: hash), hostPath: file))
        }
        return files
    }

    static func millis(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        return UInt64(max(0, seconds)) * 1_000 + UInt64(max(0, attoseconds)) / 1_000_000_000_000_000
    }
}

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
/// refused and dropped).
public final class Worker: Sendable {
    public let io: any JobsIO
    let runtime: any ContainerRuntime
    /// Where datums' inputs and outputs are laid out while they run (emptied per datum).
    let scratch: String
    let slots: Int
    let logger: Logger
    /// Batches running here, and those reported (whose "done" this node may not have applied yet), as
    /// "job/batch".
    private let running = Mutex((running: Set<String>(), reported: Set<String>()))

    public init(io: any JobsIO, runtime: any ContainerRuntime, scratch: String, slots: Int, logger: Logger) {
        self.io = io
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
        let keys = Set(mine.map { "\($0.0.id)/\($0.1)" })
        running.withLock { $0.reported.formIntersection(keys) }
        for (job, batch) in mine {
            let key = "\(job.id)/\(batch)"
            let started = running.withLock { state -> Bool in
                guard state.running.count < slots, !state.running.contains(key), !state.reported.contains(key) else {
                    return false
                }
                state.running.insert(key)
                return true
            }
            guard started else { continue }
            Task {
                defer { _ = running.withLock { $0.running.remove(key) } }
                do {
                    if try await run(job, batch: batch) { _ = running.withLock { $0.reported.insert(key) } }
                } catch {
                    logger.warning("batch \(batch) of job \(job.id): \(error); it runs again")
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
    }

    /// Runs one batch and reports it; whether the report was made (or refused because the batch is done).
    func run(_ job: JobRecord, batch index: Int) async throws -> Bool {
        let pipeline = try io.metadata.jobs { (_, jobs) throws(PFSError) in try jobs.pipelineRecord(job.pipeline) }
        let spec = pipeline.spec
        let datums = try await io.datums(of: job, spec: spec)
        let batch = job.batches[index]
        var intents: [FileIntent] = []
        var outcomes: [DatumOutcomeRecord] = []
        for position in batch.datums {
            let datum = datums[Int(position)]
            let hash = job.datums[Int(position)].hash
            var (outcome, files) = try await runDatum(datum, hash: hash, spec: spec, job: job.id)
            outcome.datum = position
            outcomes.append(outcome)
            intents += files
        }
        let built = try await NewCommitResolver.build(base: nil, intents: intents, reader: io.trees)
        let answer = try await io.propose(.finishBatch(job.id, batch: UInt32(index), node: io.nodeID,
                                                       root: built.root?.hex ?? "", outcomes: outcomes))
        if case .failed(let refusal) = answer { logger.info("batch \(index) of job \(job.id) not recorded: \(refusal)") }
        return true
    }

    /// Runs one datum up to `datum_tries` times: its outcome, and the files of its result (outputs on
    /// success, logs always) under `/<hash>/`.
    func runDatum(_ datum: Datum, hash: ChunkID, spec: PipelineSpec, job: CommitID) async throws
        -> (DatumOutcomeRecord, [FileIntent]) {
        let directory = "\(scratch)/\(job)/\(hash.hex.prefix(16))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var attempts: UInt32 = 0
        var last: DatumOutcome?
        var reason = ""
        while attempts < spec.datumTries {
            attempts += 1
            try? FileManager.default.removeItem(atPath: directory)
            let inputs = try await materialize(datum, into: directory + "/in")
            let output = directory + "/out"
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            let run = DatumRun(cmd: spec.transform.cmd, stdin: spec.transform.stdin, env: spec.transform.env,
                               inputs: inputs, output: output, image: spec.transform.image, timeout: spec.datumTimeout)
            do {
                let outcome = try await runtime.run(run)
                last = outcome
                if outcome.succeeded(accepting: spec.transform.acceptReturnCodes) {
                    var files = try await storeTree(output, under: try PFSPath.root.appending(hash.hex).appending("out"))
                    files += try await storeLogs(outcome, hash: hash, directory: directory)
                    return (DatumOutcomeRecord(datum: 0, succeeded: true, durationMillis: Self.millis(outcome.duration),
                                               attempts: attempts, reason: ""), files)
                }
                reason = outcome.summary
            } catch {
                reason = "\(error)"
            }
        }
        // The datum failed every try; err_cmd may still accept it (with no output).
        var recovered = false
        if let errCmd = spec.transform.errCmd {
            let output = directory + "/err-out"
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            let inputs = try await materialize(datum, into: directory + "/in-err")
            if let outcome = try? await runtime.run(DatumRun(cmd: errCmd, env: spec.transform.env, inputs: inputs,
                                                            output: output, image: spec.transform.image,
                                                            timeout: spec.datumTimeout)) {
                recovered = outcome.succeeded()
            }
        }
        var files: [FileIntent] = []
        if let last { files = try await storeLogs(last, hash: hash, directory: directory) }
        return (DatumOutcomeRecord(datum: 0, succeeded: recovered, durationMillis: last.map { Self.millis($0.duration) } ?? 0,
                                   attempts: attempts, reason: recovered ? "" : String(reason.prefix(1_000))), files)
    }

    /// Lays out each part of the datum at its original path under `<root>/<input name>`.
    func materialize(_ datum: Datum, into root: String) async throws -> [DatumRun.Input] {
        var inputs: [String: DatumRun.Input] = [:]
        for part in datum.parts {
            let base = "\(root)/\(part.input)"
            try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
            inputs[part.input] = DatumRun.Input(name: part.input, hostPath: base)
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

    /// Stores every regular file under `directory` at its relative path under `prefix`.
    func storeTree(_ directory: String, under prefix: PFSPath) async throws -> [FileIntent] {
        var intents: [FileIntent] = []
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return [] }
        var relatives: [String] = []
        while let relative = walker.nextObject() as? String { relatives.append(relative) }
        for relative in relatives.sorted() {
            let full = directory + "/" + relative
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            let attributes = try FileManager.default.attributesOfItem(atPath: full)
            guard attributes[.type] as? FileAttributeType == .typeRegular else { continue }  // links are not followed
            let path = try PFSPath(components: prefix.components + relative.split(separator: "/").map(String.init))
            let (object, size) = try await io.store(file: full)
            intents.append(.put(path, object: object, sizeBytes: size))
        }
        return intents
    }

    /// The kept stdout and stderr as `/<hash>/stdout` and `/<hash>/stderr`.
    func storeLogs(_ outcome: DatumOutcome, hash: ChunkID, directory: String) async throws -> [FileIntent] {
        var intents: [FileIntent] = []
        for (name, bytes) in [("stdout", outcome.stdout), ("stderr", outcome.stderr)] where !bytes.isEmpty {
            let file = "\(directory)/\(name).log"
            try Data(bytes).write(to: URL(fileURLWithPath: file))
            let (object, size) = try await io.store(file: file)
            intents.append(.put(try PFSPath.root.appending(hash.hex).appending(name), object: object, sizeBytes: size))
        }
        return intents
    }

    static func millis(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        return UInt64(max(0, seconds)) * 1_000 + UInt64(max(0, attoseconds)) / 1_000_000_000_000_000
    }
}

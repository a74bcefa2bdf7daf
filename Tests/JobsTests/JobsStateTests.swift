import PFS
import Raft
import Replication
import Testing
@testable import Jobs

/// The jobs state as Raft applies it: through a `MetadataStateMachine` with the extension, entry by
/// entry, so the marker routing, the PFS refusals and the snapshot are all exercised.
@Suite struct JobsStateTests {
    final class Log {
        let machine = MetadataStateMachine(extension: JobsState())
        var index: UInt64 = 0
        var clock: UInt64 = 1_000
        var nextID: UInt64 = 1

        func entry(_ bytes: [UInt8]) -> [UInt8] {
            index += 1
            clock += 1_000
            return try! machine.apply(Entry(term: 1, index: index, data: bytes))
        }

        @discardableResult
        func pfs(_ command: MetadataCommand) -> MetadataResult {
            try! MetadataResult(decoding: entry(command.encoded))
        }

        @discardableResult
        func jobs(_ command: JobsCommand) -> JobsResult {
            try! JobsResult(decoding: entry(command.encoded))
        }

        func freshID() -> CommitID {
            defer { nextID += 1 }
            return CommitID(high: 0xAB, low: nextID)
        }

        /// A finished commit on `repo@master` (its tree id is a stand-in: these tests read no trees).
        @discardableResult
        func commit(_ repo: String) -> CommitID {
            let key = BranchKey(try! RepoName(repo), .master)
            let head = (try? machine.inspectBranch(key))?.head
            let id = freshID()
            guard case .commit = pfs(.commitFiles(key, parent: head, id: id, startedAtNanos: clock, finishedAtNanos: clock,
                                                  sizeBytes: 1, rootTreeID: String(repeating: "a", count: 64),
                                                  description: "")) else { preconditionFailure("commit \(repo)") }
            return id
        }

        func state() -> JobsState {
            try! machine.jobs { _, jobs in jobs }
        }
    }

    static func spec(_ name: String = "edges", input: String = "images", glob: String = "/*", extra: String = "") -> String {
        """
        {"pipeline": {"name": "\(name)"}, "transform": {"cmd": ["cp", "-r", "/pfs/\(input)", "/pfs/out"]},
         "input": {"pfs": {"repo": "\(input)", "glob": "\(glob)"}}\(extra)}
        """
    }

    static func failure(_ result: JobsResult) -> PFSError? {
        if case .failed(let error) = result { return error }
        return nil
    }

    @Test func createPipelineMakesTheOutputRepoAndBranchWithProvenance() throws {
        let log = Log()
        log.pfs(.createRepo(try RepoName("images"), description: "", createdAtNanos: 1))
        guard case .pipeline(let info) = log.jobs(.createPipeline(specText: Self.spec(), update: false, reprocess: false,
                                                                  atNanos: 5)) else { Issue.record("refused"); return }
        #expect(info.name.text == "edges" && info.version == 1 && info.inputs == ["images@master"])
        let output = try log.machine.inspectBranch(BranchKey(try RepoName("edges"), .master))
        #expect(output.directProvenance == [BranchKey(try RepoName("images"), .master)])
        #expect(output.head == nil)
        // The input branch did not exist yet: it was created, empty.
        #expect(try log.machine.inspectBranch(BranchKey(try RepoName("images"), .master)).head == nil)
    }

    @Test func refusalsNameTheProblemAndChangeNothing() throws {
        let log = Log()
        log.pfs(.createRepo(try RepoName("images"), description: "", createdAtNanos: 1))
        let before = log.machine.currentState()
        let bad = log.jobs(.createPipeline(specText: Self.spec(extra: #", "datum_tries": 0"#), update: false,
                                           reprocess: false, atNanos: 5))
        #expect(Self.failure(bad)?.description.contains("datum_tries") == true, "\(bad)")
        let missing = log.jobs(.createPipeline(specText: Self.spec(input: "nope"), update: false, reprocess: false, atNanos: 5))
        #expect(Self.failure(missing) == .repoNotFound(try RepoName("nope")))
        let own = log.jobs(.createPipeline(specText: Self.spec("images", input: "images"), update: false,
                                           reprocess: false, atNanos: 5))
        #expect(Self.failure(own) != nil)
        var after = log.machine.currentState()
        after.appliedIndex = before.appliedIndex
        #expect(after == before && log.state() == JobsState())

        log.jobs(.createPipeline(specText: Self.spec(), update: false, reprocess: false, atNanos: 5))
        let twice = log.jobs(.createPipeline(specText: Self.spec(), update: false, reprocess: false, atNanos: 6))
        #expect(Self.failure(twice) == .alreadyExists("pipeline edges already exists (use update pipeline)"))
    }

    @Test func onlyJobsWriteTheOutputAndInputsStayWhileRead() throws {
        let log = Log()
        log.pfs(.createRepo(try RepoName("images"), description: "", createdAtNanos: 1))
        log.jobs(.createPipeline(specText: Self.spec(), update: false, reprocess: false, atNanos: 5))
        let write = log.pfs(.commitFiles(BranchKey(try RepoName("edges"), .master), parent: nil, id: log.freshID(),
                                         startedAtNanos: 1, finishedAtNanos: 1, sizeBytes: 0, rootTreeID: "", description: ""))
        guard case .failed(.failedPrecondition(let why)) = write else { Issue.record("\(write)"); return }
        #expect(why.contains("output of pipeline edges"))
        guard case .failed(.failedPrecondition(let inputWhy)) = log.pfs(.deleteRepo(try RepoName("images"), force: true)) else {
            Issue.record("deleting an input repo went through"); return
        }
        #expect(inputWhy.contains("input of pipeline edges"))
        guard case .failed = log.pfs(.deleteRepo(try RepoName("edges"), force: true)) else {
            Issue.record("deleting an output repo went through"); return
        }
        // Deleting the pipeline deletes its repo, and then the input may go.
        #expect(log.jobs(.deletePipeline(try RepoName("edges"))) == .done)
        #expect(throws: PFSError.self) { try log.machine.inspectRepo(try RepoName("edges")) }
        #expect(log.pfs(.deleteRepo(try RepoName("images"), force: false)) == .done)
    }

    /// A whole job through the commands the coordinator and workers propose, with the refusals that
    /// make their retries safe.
    @Test func aJobOpensItsOutputRunsItsBatchesAndFinishesTheCommit() throws {
        let log = Log()
        let name = try RepoName("edges")
        log.pfs(.createRepo(try RepoName("images"), description: "", createdAtNanos: 1))
        log.jobs(.createPipeline(specText: Self.spec(), update: false, reprocess: false, atNanos: 5))
        let input = log.commit("images")
        let inputs = [JobInput(name: "images", branch: BranchKey(try RepoName("images"), .master), commit: input)]
        let id = log.freshID()
        // Stale inputs (a head that moved) are refused.
        let stale = [JobInput(name: "images", branch: inputs[0].branch, commit: log.freshID())]
        #expect(Self.failure(log.jobs(.startJob(pipeline: name, version: 1, id: id, inputs: stale, atNanos: 9))) != nil)
        guard case .job(let started) = log.jobs(.startJob(pipeline: name, version: 1, id: id, inputs: inputs, atNanos: 9)) else {
            Issue.record("start refused"); return
        }
        #expect(started.state == .starting)
        let output = try log.machine.inspectCommit(.commit(id, in: name))
        #expect(output.finishedAtNanos == nil && output.provenance.map(\.commit) == [input])
        // One job at a time per pipeline.
        #expect(Self.failure(log.jobs(.startJob(pipeline: name, version: 1, id: log.freshID(), inputs: inputs, atNanos: 9))) != nil)

        let hashes = (0..<3).map { ChunkID(of: [UInt8($0)]) }
        let reused = DatumResult(root: String(repeating: "b", count: 64), node: 2, durationMillis: 7)
        let datums = [PlannedDatum(hash: hashes[0], reused: nil, localBytes: 6, remoteBytes: 1),
                      PlannedDatum(hash: hashes[1], reused: reused),
                      PlannedDatum(hash: hashes[2], reused: nil, localBytes: 4, remoteBytes: 1)]
        // A plan that leaves a datum out, or runs a reused one, is refused.
        #expect(Self.failure(log.jobs(.planJob(id, datums: datums, batches: [PlannedBatch(node: 1, datums: [0])],
                                               localBytes: 0, remoteBytes: 0))) != nil)
        #expect(Self.failure(log.jobs(.planJob(id, datums: datums, batches: [PlannedBatch(node: 1, datums: [0, 1, 2])],
                                               localBytes: 0, remoteBytes: 0))) != nil)
        let batches = [PlannedBatch(node: 1, datums: [0]), PlannedBatch(node: 3, datums: [2])]
        guard case .job(let planned) = log.jobs(.planJob(id, datums: datums, batches: batches, localBytes: 10, remoteBytes: 2)) else {
            Issue.record("plan refused"); return
        }
        #expect(planned.state == .running && planned.datumsSkipped == 1 && planned.batchesTotal == 2)
        // Node 3 went down: its batch moves (its reads now count as from peers); a late report from node 3
        // is then refused.
        #expect(Self.failure(log.jobs(.moveBatch(id, batch: 1, from: 3, to: 2))) == nil)
        let moved = try log.machine.jobs { _, jobs throws(PFSError) in try jobs.jobRecord(id) }
        #expect(moved.datums.map(\.localBytes) == [6, 0, 0] && moved.datums.map(\.remoteBytes) == [1, 0, 5])
        #expect(moved.localBytes == 6 && moved.remoteBytes == 6)
        let root = String(repeating: "c", count: 64)
        let late = log.jobs(.finishBatch(id, batch: 1, node: 3, restarts: 0, root: root,
                                         outcomes: [DatumOutcomeRecord(datum: 2, succeeded: true, durationMillis: 1, attempts: 1, reason: "")]))
        #expect(Self.failure(late) != nil)
        // Finishing early is refused.
        #expect(Self.failure(log.jobs(.finishJob(id, success: true, reason: "", rootTreeID: root, sizeBytes: 5, atNanos: 20))) != nil)
        for (batch, node, datum) in [(UInt32(0), MemberID(1), UInt32(0)), (1, 2, 2)] {
            let outcome = DatumOutcomeRecord(datum: datum, succeeded: true, durationMillis: 3, attempts: 1, reason: "")
            #expect(Self.failure(log.jobs(.finishBatch(id, batch: batch, node: node, restarts: 0, root: root, outcomes: [outcome]))) == nil)
        }
        // A repeated report (a retry after a lost answer) is refused and changes nothing.
        let again = DatumOutcomeRecord(datum: 0, succeeded: false, durationMillis: 3, attempts: 1, reason: "x")
        #expect(Self.failure(log.jobs(.finishBatch(id, batch: 0, node: 1, restarts: 0, root: root, outcomes: [again]))) != nil)
        guard case .job(let done) = log.jobs(.finishJob(id, success: true, reason: "", rootTreeID: root, sizeBytes: 5,
                                                        atNanos: 30)) else { Issue.record("finish refused"); return }
        #expect(done.state == .success && done.datumsProcessed == 2 && done.datumsSkipped == 1)
        let finished = try log.machine.inspectCommit(.commit(id, in: name))
        #expect(finished.finishedAtNanos != nil && finished.rootTreeID == root && finished.sizeBytes == 5)
        // The next job may reuse all three; GC keeps their result trees.
        let record = try log.machine.jobs { _, jobs throws(PFSError) in try jobs.pipelineRecord(name) }
        #expect(Set(record.reusable.keys) == Set(hashes))
        #expect(Set(log.machine.gcRoots().treeRoots).isSuperset(of: [root, reused.root]))
    }

    @Test func theSnapshotCarriesBothStatesAndRestoresThem() throws {
        let log = Log()
        log.pfs(.createRepo(try RepoName("images"), description: "", createdAtNanos: 1))
        log.jobs(.createPipeline(specText: Self.spec(), update: false, reprocess: false, atNanos: 5))
        let input = log.commit("images")
        let id = log.freshID()
        log.jobs(.startJob(pipeline: try RepoName("edges"), version: 1, id: id,
                           inputs: [JobInput(name: "images", branch: BranchKey(try RepoName("images"), .master), commit: input)],
                           atNanos: 9))
        log.jobs(.planJob(id, datums: [PlannedDatum(hash: ChunkID(of: [1]), reused: nil)],
                          batches: [PlannedBatch(node: 2, datums: [0])], localBytes: 1, remoteBytes: 0))
        let image = try log.machine.snapshot()
        let restored = MetadataStateMachine(extension: JobsState())
        try restored.restore(Snapshot(metadata: SnapshotMetadata(index: log.index, term: 1, configuration: Configuration()), data: image))
        #expect(restored.currentState() == log.machine.currentState())
        #expect(try restored.jobs { _, jobs in jobs } == log.state())
        #expect(try restored.snapshot() == image)
        // A plain PFS image restores an empty jobs state.
        let plain = MetadataStateMachine(extension: JobsState())
        try plain.restore(Snapshot(metadata: SnapshotMetadata(index: log.index, term: 1, configuration: Configuration()),
                                   data: log.machine.currentState().encoded()))
        #expect(try plain.jobs { _, jobs in jobs } == JobsState())
        // Every command encodes and decodes to itself.
        for command: JobsCommand in [
            .createPipeline(specText: "{}", update: true, reprocess: true, atNanos: 3), .deletePipeline(try RepoName("x")),
            .setStopped(try RepoName("x"), stopped: true, atNanos: 4),
            .finishBatch(id, batch: 2, node: 3, restarts: 0, root: "r", outcomes: [DatumOutcomeRecord(datum: 1, succeeded: false, durationMillis: 2, attempts: 3, reason: "why")]),
            .moveBatch(id, batch: 1, from: 2, to: 3), .finishJob(id, success: false, reason: "r", rootTreeID: "", sizeBytes: 0, atNanos: 1),
            .stopJob(id, reason: "user", atNanos: 2), .restartDatums(id, datums: [0, 7]),
        ] {
            #expect(try JobsCommand(decoding: Array(command.encoded.dropFirst())) == command)
        }
    }

    /// Starts and plans a job of `edges` on images' head with one pending datum per batch node given.
    static func runningJob(_ log: Log, nodes: [MemberID]) throws -> CommitID {
        let id = log.freshID()
        let head = try #require(try log.machine.inspectBranch(BranchKey(try RepoName("images"), .master)).head)
        let inputs = [JobInput(name: "images", branch: BranchKey(try RepoName("images"), .master), commit: head)]
        #expect(Self.failure(log.jobs(.startJob(pipeline: try RepoName("edges"), version: 1, id: id, inputs: inputs, atNanos: 9))) == nil)
        let datums = nodes.indices.map { PlannedDatum(hash: ChunkID(of: [UInt8($0)]), reused: nil) }
        let batches = nodes.enumerated().map { PlannedBatch(node: $1, datums: [UInt32($0)]) }
        #expect(Self.failure(log.jobs(.planJob(id, datums: datums, batches: batches, localBytes: 0, remoteBytes: 0))) == nil)
        return id
    }

    /// One job per input commit: a job may run on a commit behind the head; its output names exactly it.
    @Test func aJobMayRunOnACommitBehindTheHead() throws {
        let log = Log()
        log.pfs(.createRepo(try RepoName("images"), description: "", createdAtNanos: 1))
        log.pfs(.createRepo(try RepoName("other"), description: "", createdAtNanos: 1))
        log.jobs(.createPipeline(specText: Self.spec(), update: false, reprocess: false, atNanos: 5))
        let older = log.commit("images")
        log.commit("images")
        let elsewhere = log.commit("other")
        let branch = BranchKey(try RepoName("images"), .master)
        let stray = [JobInput(name: "images", branch: branch, commit: elsewhere)]
        #expect(Self.failure(log.jobs(.startJob(pipeline: try RepoName("edges"), version: 1, id: log.freshID(),
                                                inputs: stray, atNanos: 9))) != nil)
        let id = log.freshID()
        let inputs = [JobInput(name: "images", branch: branch, commit: older)]
        #expect(Self.failure(log.jobs(.startJob(pipeline: try RepoName("edges"), version: 1, id: id, inputs: inputs, atNanos: 9))) == nil)
        let output = try log.machine.inspectCommit(.commit(id, in: try RepoName("edges")))
        #expect(output.provenance == [CommitProvenance(branch: branch, commit: older)])
    }

    @Test func restartingADatumRefusesTheReportOfTheRunItReplaced() throws {
        let log = Log()
        log.pfs(.createRepo(try RepoName("images"), description: "", createdAtNanos: 1))
        log.jobs(.createPipeline(specText: Self.spec(), update: false, reprocess: false, atNanos: 5))
        log.commit("images")
        let id = try Self.runningJob(log, nodes: [1, 2])
        let root = String(repeating: "c", count: 64)
        let outcome = { (datum: UInt32) in DatumOutcomeRecord(datum: datum, succeeded: true, durationMillis: 1, attempts: 1, reason: "") }
        #expect(Self.failure(log.jobs(.restartDatums(id, datums: []))) != nil)
        #expect(Self.failure(log.jobs(.restartDatums(id, datums: [9]))) != nil)
        #expect(Self.failure(log.jobs(.restartDatums(id, datums: [1]))) == nil)
        #expect(try log.machine.jobs { _, jobs throws(PFSError) in try jobs.jobRecord(id) }.batches.map(\.restarts) == [0, 1])
        // The run from before the restart reports: refused; the new run's report goes in.
        #expect(Self.failure(log.jobs(.finishBatch(id, batch: 1, node: 2, restarts: 0, root: root, outcomes: [outcome(1)]))) != nil)
        #expect(Self.failure(log.jobs(.finishBatch(id, batch: 1, node: 2, restarts: 1, root: root, outcomes: [outcome(1)]))) == nil)
        // A datum that finished cannot be restarted, nor one of a job that ended.
        guard case .failed(.failedPrecondition(let why)) = log.jobs(.restartDatums(id, datums: [1])) else {
            Issue.record("restarting a finished datum went through"); return
        }
        #expect(why.contains("success"))
        log.jobs(.stopJob(id, reason: "user", atNanos: 10))
        guard case .failed(.failedPrecondition(let ended)) = log.jobs(.restartDatums(id, datums: [0])) else {
            Issue.record("restarting a datum of a killed job went through"); return
        }
        #expect(ended.contains("killed"))
    }

    @Test func aFailedUpstreamJobIsNamedByTheJobsThatReadItsOutput() throws {
        let log = Log()
        log.pfs(.createRepo(try RepoName("images"), description: "", createdAtNanos: 1))
        log.jobs(.createPipeline(specText: Self.spec(), update: false, reprocess: false, atNanos: 5))
        log.jobs(.createPipeline(specText: Self.spec("stats", input: "edges"), update: false, reprocess: false, atNanos: 6))
        log.commit("images")
        let upstream = try Self.runningJob(log, nodes: [1])
        log.jobs(.finishJob(upstream, success: false, reason: "datum 1 failed", rootTreeID: "", sizeBytes: 0, atNanos: 11))
        let downstream = log.freshID()
        let inputs = [JobInput(name: "edges", branch: BranchKey(try RepoName("edges"), .master), commit: upstream)]
        log.jobs(.startJob(pipeline: try RepoName("stats"), version: 1, id: downstream, inputs: inputs, atNanos: 12))
        let job = try log.machine.jobs { _, jobs throws(PFSError) in try jobs.jobRecord(downstream) }
        let failed = try #require(try log.machine.jobs { _, jobs in jobs.failedUpstream(of: job) })
        #expect(failed.contains("edges@\(upstream)") && failed.contains("failure: datum 1 failed"))
    }

    /// `wait commit` on an input commit waits for the job covering it, even one started on a later head
    /// (commits that landed while a job ran), and for pipelines that have not yet run on it.
    @Test func waitCommitWaitsForTheJobsThatCoverACommit() throws {
        let log = Log()
        log.pfs(.createRepo(try RepoName("images"), description: "", createdAtNanos: 1))
        log.jobs(.createPipeline(specText: Self.spec(), update: false, reprocess: false, atNanos: 5))
        let first = log.commit("images")
        var (commits, due) = log.machine.downstreamCommits(of: first)
        #expect(commits.isEmpty && due == ["pipeline edges has not yet run on images@\(first)"])
        let second = log.commit("images")
        // A job runs on the newest head: it covers both commits.
        let id = try Self.runningJob(log, nodes: [1])
        for commit in [first, second] {
            (commits, due) = log.machine.downstreamCommits(of: commit)
            #expect(commits.map(\.id) == [id] && due.isEmpty)
        }
        #expect(try #require(log.machine.downstreamCommits(of: first).commits.first).finishedAtNanos == nil)
        // A stopped pipeline is not waited for.
        let third = log.commit("images")
        #expect(log.machine.downstreamCommits(of: third).due.count == 1)
        log.jobs(.setStopped(try RepoName("edges"), stopped: true, atNanos: 20))
        #expect(log.machine.downstreamCommits(of: third).due.isEmpty)
    }
}

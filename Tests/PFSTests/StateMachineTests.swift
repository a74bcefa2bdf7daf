import Raft
import Testing
@testable import PFS

@Suite struct StateMachineTests {
    static func entry(_ index: UInt64, _ command: MetadataCommand) -> Entry {
        Entry(term: 1, index: index, data: command.encoded)
    }

    static func snapshot(of machine: MetadataStateMachine) throws -> Snapshot {
        Snapshot(metadata: SnapshotMetadata(index: machine.appliedIndex, term: 1), data: try machine.snapshot())
    }

    @Test func applyAnswersEncodedResultsAndAdvancesTheIndex() throws {
        let machine = MetadataStateMachine()
        let created = try machine.apply(Self.entry(1, .createRepo(repo("images"), description: "", createdAtNanos: 5)))
        guard case .repo(let info) = try MetadataResult(decoding: created) else { Issue.record("no repo"); return }
        #expect(info.name == repo("images"))
        #expect(machine.appliedIndex == 1)
        try machine.markApplied(through: 4)
        #expect(machine.appliedIndex == 4)
        let refused = try machine.apply(Self.entry(5, .createRepo(repo("images"), description: "", createdAtNanos: 6)))
        #expect(try MetadataResult(decoding: refused) == .failed(.repoExists(repo("images"))))
        #expect(machine.appliedIndex == 5)
        #expect(machine.listRepos().count == 1)
    }

    /// Garbage in a committed entry is the same garbage on every node: every node answers the same refusal.
    @Test func undecodableCommandIsARefusalNotACrash() throws {
        let machine = MetadataStateMachine()
        let before = try machine.snapshot()
        let answer = try machine.apply(Entry(term: 1, index: 1, data: [1, 99]))
        #expect(try MetadataResult(decoding: answer) == .failed(.malformed("unknown metadata command tag 99")))
        #expect(machine.appliedIndex == 1)
        #expect(Array(try machine.snapshot().dropFirst(13)) == Array(before.dropFirst(13)), "only the index moved")
    }

    /// A command from a newer format would be answered differently by nodes that know it: stop instead.
    @Test func unknownCommandVersionStopsTheNode() throws {
        let machine = MetadataStateMachine()
        #expect(throws: PFSError.unsupportedVersion(what: "a metadata command", version: 9)) {
            try machine.apply(Entry(term: 1, index: 1, data: [9, 1]))
        }
        #expect(machine.appliedIndex == 0)
    }

    /// Two replicas fed the same entries give the same answers and byte-identical snapshots; a third that
    /// joins from a mid-way snapshot ends identical too.
    @Test(arguments: [UInt64(3), 11, 29])
    func replicasAreDeterministic(seed: UInt64) throws {
        var commands = RandomCommands(seed: seed)
        let entries = (1...600).map { Self.entry(UInt64($0) * 2, commands.next()) }
        let first = MetadataStateMachine()
        let second = MetadataStateMachine()
        let late = MetadataStateMachine()
        for (position, entry) in entries.enumerated() {
            let answer = try first.apply(entry)
            #expect(try second.apply(entry) == answer, "seed \(seed), index \(entry.index)")
            if position == 300 { try late.restore(try Self.snapshot(of: first)) }
            if position > 300 { #expect(try late.apply(entry) == answer) }
        }
        let image = try first.snapshot()
        #expect(try second.snapshot() == image)
        #expect(try late.snapshot() == image)
        #expect(first.appliedIndex == 1_200 && late.appliedIndex == 1_200)
    }

    @Test(arguments: [UInt64(5), 17])
    func snapshotRoundTripRestoresTheSameState(seed: UInt64) throws {
        let original = MetadataStateMachine()
        var commands = RandomCommands(seed: seed)
        for index in 1...500 { _ = try original.apply(Self.entry(UInt64(index), commands.next())) }
        let snapshot = try Self.snapshot(of: original)

        // Into an empty machine and into one with different data.
        let empty = MetadataStateMachine()
        let busy = MetadataStateMachine()
        _ = try busy.apply(Self.entry(1, .createRepo(repo("zzz"), description: "", createdAtNanos: 1)))
        for machine in [empty, busy] {
            try machine.restore(snapshot)
            #expect(machine.currentState() == original.currentState())
            #expect(try machine.snapshot() == snapshot.data)
            #expect(machine.listRepos() == original.listRepos())
            #expect(machine.appliedIndex == 500)
        }
    }

    @Test func restoreTakesTheSnapshotIndexButRefusesAnImageFromTheFuture() throws {
        let machine = MetadataStateMachine()
        _ = try machine.apply(Self.entry(3, .createRepo(repo("images"), description: "", createdAtNanos: 1)))
        let image = try machine.snapshot()
        let other = MetadataStateMachine()
        // Entries 4...9 were ones the driver only marked; the image does not need to know them.
        try other.restore(Snapshot(metadata: SnapshotMetadata(index: 9, term: 1), data: image))
        #expect(other.appliedIndex == 9)
        #expect(throws: PFSError.self) {
            try other.restore(Snapshot(metadata: SnapshotMetadata(index: 2, term: 1), data: image))
        }
        #expect(other.appliedIndex == 9, "a refused restore leaves the state as it was")
    }

    @Test func corruptSnapshotsAreRefusedAndChangeNothing() throws {
        let source = MetadataStateMachine()
        var commands = RandomCommands(seed: 99)
        for index in 1...200 { _ = try source.apply(Self.entry(UInt64(index), commands.next())) }
        let good = try source.snapshot()
        let target = MetadataStateMachine()
        _ = try target.apply(Self.entry(1, .createRepo(repo("keep"), description: "", createdAtNanos: 1)))
        let before = target.currentState()

        var damaged: [[UInt8]] = [Array(good.prefix(good.count - 1)), good + [0], Array("XXXX".utf8) + good.dropFirst(4)]
        var futureVersion = good
        futureVersion[4] = MetadataState.snapshotVersion + 1
        damaged.append(futureVersion)
        for bad in damaged {
            #expect(throws: PFSError.self) {
                try target.restore(Snapshot(metadata: SnapshotMetadata(index: 500, term: 1), data: bad))
            }
            #expect(target.currentState() == before)
        }
    }

    /// An image that decodes but describes an impossible state is refused, not served.
    @Test func inconsistentSnapshotIsRefused() throws {
        var fixture = Fixture()
        fixture.createRepo("images")
        let id = fixture.commit("images")
        fixture.state.commits[id]!.parent = cid(404)
        let machine = MetadataStateMachine()
        #expect {
            try machine.restore(Snapshot(metadata: SnapshotMetadata(index: 1, term: 1), data: fixture.state.encoded()))
        } throws: { error in
            guard case PFSError.malformed(let why) = error else { return false }
            return why.contains("inconsistent") && why.contains("missing parent")
        }
    }

    /// Queries run from API handlers while the driver applies; they must never see a half-applied command.
    @Test func queriesDuringApplySeeConsistentStates() async throws {
        let machine = MetadataStateMachine()
        var commands = RandomCommands(seed: 123)
        let entries = (1...3_000).map { Self.entry(UInt64($0), commands.next()) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for entry in entries { _ = try machine.apply(entry) }
            }
            group.addTask {
                for _ in 0..<300 {
                    #expect(machine.invariantViolation() == nil)
                    for info in machine.listRepos() { _ = try? machine.listCommits(info.name, limit: 5) }
                }
            }
            try await group.waitForAll()
        }
        #expect(machine.appliedIndex == 3_000)
    }
}

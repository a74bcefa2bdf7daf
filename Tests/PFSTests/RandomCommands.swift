@testable import PFS

/// Random metadata commands over a small name space (so commands collide: the same repos, branches and
/// ids come up again and again), for property and determinism tests. Replays from its seed.
struct RandomCommands {
    private var random: TestRandom
    private var issuedIDs: [CommitID] = []
    private var clockNanos: UInt64 = 1_000_000
    private let repoNames = ["a", "b", "c", "d"].map(repo)
    private let branchNames = ["master", "dev", "x"].map(branch)

    init(seed: UInt64) {
        random = TestRandom(seed: seed)
    }

    mutating func next() -> MetadataCommand {
        clockNanos += UInt64.random(in: 0...2_000, using: &random)
        let roll = Int.random(in: 0..<120, using: &random)
        switch roll {
        case 0..<6:
            return .createRepo(pick(repoNames), description: chance(50) ? "" : "d\(roll)", createdAtNanos: clockNanos)
        case 6:
            return .deleteRepo(pick(repoNames), force: chance(50))
        case 7..<37:
            return .startCommit(repo: pick(repoNames), branch: pick(branchNames), parent: chance(25) ? randomRef() : nil,
                                id: commitID(), startedAtNanos: clockNanos)
        case 37..<67:
            let finishedAt = chance(10) ? clockNanos / 2 : clockNanos
            return .finishCommit(randomRef(), finishedAtNanos: finishedAt,
                                 sizeBytes: UInt64.random(in: 0...1_000_000, using: &random),
                                 rootTreeID: chance(50) ? "" : "tree\(roll)",
                                 stagedVersion: chance(60) ? 0 : UInt64.random(in: 1...3, using: &random),
                                 description: chance(70) ? "" : "done \(roll)")
        case 67..<75:
            return .deleteCommit(randomRef())
        case 75..<90:
            let provenance = (0..<Int.random(in: 0...2, using: &random)).map { _ in randomKey() }
            return .createBranch(randomKey(), head: chance(60) ? randomRef() : nil, provenance: provenance)
        case 90..<96:
            return .deleteBranch(randomKey(), force: chance(50))
        case 96..<98:
            return .registerMember(id: UInt64.random(in: 0...3, using: &random), apiAddress: "h:\(roll)",
                                   peerAddress: chance(10) ? "no port" : "h:1\(roll)", atNanos: clockNanos)
        case 98:
            return .setMemberLiveness(id: UInt64.random(in: 1...3, using: &random), isUp: chance(50), atNanos: clockNanos)
        case 99:
            return .forgetMember(id: UInt64.random(in: 1...3, using: &random))
        case 100..<112:
            let writes = (0..<Int.random(in: 1...4, using: &random)).map { _ in randomWrite() }
            return .stageFiles(randomRef(), basedOn: UInt64.random(in: 0...3, using: &random), writes: writes,
                               guards: chance(20) ? [randomPath()] : [])
        default:
            let parent = chance(50) ? (issuedIDs.isEmpty ? nil : pick(issuedIDs)) : nil
            return .commitFiles(randomKey(), parent: parent, id: commitID(), startedAtNanos: clockNanos,
                                finishedAtNanos: clockNanos, sizeBytes: UInt64.random(in: 0...1_000, using: &random),
                                rootTreeID: chance(30) ? "" : "tree\(roll)", description: "")
        }
    }

    /// Paths over a tiny name space, so writes collide (a file where a directory is, and the reverse).
    private mutating func randomPath() -> PFSPath {
        let names = ["a", "b", "c"]
        let depth = Int.random(in: 1...3, using: &random)
        return try! PFSPath(components: (0..<depth).map { _ in pick(names) })
    }

    private mutating func randomWrite() -> StagedTree.Write {
        let path = randomPath()
        guard chance(75) else { return .delete(chance(10) ? .root : path) }
        let id = fileID(UInt64.random(in: 1...5, using: &random))
        let size = UInt64.random(in: 0...100, using: &random)
        return .put(path, chance(85) ? .file(id, sizeBytes: size) : .directory(id, sizeBytes: size))
    }

    private mutating func chance(_ percent: Int) -> Bool {
        Int.random(in: 0..<100, using: &random) < percent
    }

    private mutating func pick<T>(_ values: [T]) -> T {
        values[Int.random(in: 0..<values.count, using: &random)]
    }

    private mutating func randomKey() -> BranchKey {
        BranchKey(pick(repoNames), pick(branchNames))
    }

    /// Mostly fresh ids; sometimes one already issued, to exercise `commitExists`.
    private mutating func commitID() -> CommitID {
        if !issuedIDs.isEmpty && chance(10) { return pick(issuedIDs) }
        let id = CommitID.random(using: &random)
        issuedIDs.append(id)
        return id
    }

    private mutating func randomRef() -> Ref {
        let ancestry: UInt32 = chance(70) ? 0 : UInt32.random(in: 1...3, using: &random)
        if !issuedIDs.isEmpty && chance(30) {
            return Ref(repo: pick(repoNames), target: .commit(pick(issuedIDs)), ancestry: ancestry)
        }
        return Ref(repo: pick(repoNames), target: .branch(pick(branchNames)), ancestry: ancestry)
    }
}

extension MetadataCommand {
    /// The command's name, for tallies.
    var kind: String {
        switch self {
        case .createRepo: return "createRepo"
        case .deleteRepo: return "deleteRepo"
        case .startCommit: return "startCommit"
        case .finishCommit: return "finishCommit"
        case .deleteCommit: return "deleteCommit"
        case .createBranch: return "createBranch"
        case .deleteBranch: return "deleteBranch"
        case .registerMember: return "registerMember"
        case .setMemberLiveness: return "setMemberLiveness"
        case .forgetMember: return "forgetMember"
        case .stageFiles: return "stageFiles"
        case .commitFiles: return "commitFiles"
        }
    }
}

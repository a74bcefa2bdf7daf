import Testing
@testable import PFS

/// Shorthands for literals known to be valid: a typo in a test should trap loudly, not be "handled".
func repo(_ text: String) -> RepoName { try! RepoName(text) }
func branch(_ text: String) -> BranchName { try! BranchName(text) }
func key(_ repoText: String, _ branchText: String) -> BranchKey { BranchKey(repo(repoText), branch(branchText)) }
func ref(_ text: String) -> Ref { try! Ref(parsing: text) }
func cid(_ n: UInt64) -> CommitID { CommitID(high: 0xC0FF_EE00_0000_0000, low: n) }

/// A state plus a fake proposer: it hands out commit ids and times the way a real proposer would, so each
/// test reads as a short PFS session.
struct Fixture {
    var state = MetadataState()
    var clockNanos: UInt64 = 1_000
    var nextID: UInt64 = 1

    mutating func run(_ command: MetadataCommand) -> MetadataResult {
        clockNanos += 1_000
        return state.apply(command)
    }

    mutating func freshID() -> CommitID {
        defer { nextID += 1 }
        return cid(nextID)
    }

    mutating func createRepo(_ name: String, description: String = "") {
        let result = run(.createRepo(repo(name), description: description, createdAtNanos: clockNanos))
        guard case .repo = result else { preconditionFailure("createRepo \(name): \(result)") }
    }

    /// Starts a commit and returns its info; traps when refused (use `expectFailure` for refusals).
    @discardableResult
    mutating func start(_ repoName: String, _ branchName: String = "master", parent: String? = nil) -> CommitInfo {
        let command = MetadataCommand.startCommit(repo: repo(repoName), branch: branch(branchName),
                                                  parent: parent.map(ref), id: freshID(), startedAtNanos: clockNanos)
        guard case .commit(let info) = run(command) else { preconditionFailure("start \(repoName)@\(branchName)") }
        return info
    }

    @discardableResult
    mutating func finish(_ refText: String, sizeBytes: UInt64 = 0) -> CommitInfo {
        let result = run(.finishCommit(ref(refText), finishedAtNanos: clockNanos, sizeBytes: sizeBytes, rootTreeID: ""))
        guard case .commit(let info) = result else { preconditionFailure("finish \(refText): \(result)") }
        return info
    }

    /// A finished commit on `branchName`.
    @discardableResult
    mutating func commit(_ repoName: String, _ branchName: String = "master", sizeBytes: UInt64 = 0) -> CommitID {
        let id = start(repoName, branchName).id
        finish("\(repoName)@\(id)", sizeBytes: sizeBytes)
        return id
    }

    mutating func makeBranch(_ repoName: String, _ branchName: String, head: String? = nil, provenance: [BranchKey] = []) {
        let result = run(.createBranch(key(repoName, branchName), head: head.map(ref), provenance: provenance))
        guard case .branch = result else { preconditionFailure("createBranch \(repoName)@\(branchName): \(result)") }
    }

    /// Applies `command`, expects exactly `expected`, and checks that the state did not change at all.
    mutating func expectFailure(_ command: MetadataCommand, _ expected: PFSError,
                                sourceLocation: SourceLocation = #_sourceLocation) {
        let before = state
        let result = state.apply(command)
        #expect(result == .failed(expected), sourceLocation: sourceLocation)
        #expect(state == before, "a refused command changed the state", sourceLocation: sourceLocation)
        #expect(state.invariantViolation() == nil, sourceLocation: sourceLocation)
    }

    func commitInfo(_ refText: String) -> CommitInfo { try! state.inspectCommit(ref(refText)) }
    func branchInfo(_ repoName: String, _ branchName: String) -> BranchInfo { try! state.inspectBranch(key(repoName, branchName)) }
}

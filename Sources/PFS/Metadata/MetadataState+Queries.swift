import Replication

/// Read-only questions the API layer asks (after a ReadIndex, for linearizable reads). Each answers
/// value copies, sorted.
extension MetadataState {
    /// Every repo, sorted by name.
    public func listRepos() -> [RepoInfo] {
        repos.keys.sorted().map { repoInfo(repos[$0]!) }
    }

    /// One repo.
    public func inspectRepo(_ name: RepoName) throws(PFSError) -> RepoInfo {
        repoInfo(try repo(name))
    }

    /// The branches of `repo`, sorted by name.
    public func listBranches(_ repo: RepoName) throws(PFSError) -> [BranchInfo] {
        _ = try self.repo(repo)
        let downstream = downstreamMap()
        return branches.values.filter { $0.key.repo == repo }.sorted { $0.key < $1.key }
            .map { branchInfo($0, downstream: downstream) }
    }

    /// One branch.
    public func inspectBranch(_ key: BranchKey) throws(PFSError) -> BranchInfo {
        branchInfo(try branch(key), downstream: downstreamMap())
    }

    /// Commits of `repo`, newest first, at most `limit` of them (0 means all). With `branch`, the
    /// branch's history: its head, then parent after parent. Without, every commit of the repo in the
    /// order they were started (the log's order, not the proposers' clocks).
    public func listCommits(_ repo: RepoName, branch: BranchName? = nil, limit: Int = 0) throws(PFSError) -> [CommitInfo] {
        _ = try self.repo(repo)
        let cap = limit > 0 ? limit : Int.max
        guard let branch else {
            let all = commits.values.filter { $0.repo == repo }.sorted { $0.sequence > $1.sequence }
            return all.prefix(cap).map(commitInfo)
        }
        var result: [CommitInfo] = []
        var next = try self.branch(BranchKey(repo, branch)).head
        // Bounded by `cap` and by the commit count (parent links do not cycle).
        while let id = next, result.count < min(cap, commits.count) {
            let record = try commit(id)
            result.append(commitInfo(record))
            next = record.parent
        }
        return result
    }

    /// The commit `ref` names now.
    public func inspectCommit(_ ref: Ref) throws(PFSError) -> CommitInfo {
        commitInfo(try resolveRecord(ref))
    }

    /// The id of the commit `ref` names now.
    public func resolve(_ ref: Ref) throws(PFSError) -> CommitID {
        try resolveRecord(ref).id
    }

    /// What the proposer of a file operation needs about the commit `ref` names: the commit, its parent's
    /// root tree id ("" for none) and, while it is open, its staged writes (a value copy).
    public func fileView(_ ref: Ref) throws(PFSError) -> (commit: CommitInfo, parentRootTreeID: String, staged: StagedTree) {
        let record = try resolveRecord(ref)
        let parentRoot = record.parent.flatMap { commits[$0]?.rootTreeID } ?? ""
        return (commitInfo(record), parentRoot, record.staged)
    }

    /// The commit a write to `key` goes into: its head when that is open, else nil (the write makes a
    /// new commit on the head); also the head itself. `branchNotFound` is not an error here: a write may
    /// create the branch.
    public func writeTarget(_ key: BranchKey) throws(PFSError) -> (head: CommitInfo?, open: Bool) {
        _ = try repo(key.repo)
        guard let head = branches[key]?.head, let record = commits[head] else { return (nil, false) }
        return (commitInfo(record), record.isOpen)
    }

    /// Every root the chunk store's GC must keep: each finished commit's tree and each open commit's
    /// staged contents, as hex ids (finished roots) and chunk ids (staged), unsorted.
    public func gcRoots() -> (treeRoots: [String], staged: [StagedTree.Content]) {
        var roots: [String] = []
        var staged: [StagedTree.Content] = []
        for record in commits.values {
            if !record.rootTreeID.isEmpty { roots.append(record.rootTreeID) }
            if record.isOpen { staged.append(contentsOf: record.staged.contents) }
        }
        return (roots, staged)
    }

    /// Every commit that has `id` in its provenance, and the commits downstream of those, transitively,
    /// in creation order: what `wait commit` waits for.
    public func downstreamCommits(of id: CommitID) -> [CommitInfo] {
        var found = Set<CommitID>()
        var frontier = [id]
        // Bounded: each commit enters the frontier at most once.
        while let next = frontier.popLast() {
            for record in commits.values where !found.contains(record.id) && record.provenance.contains(where: { $0.commit == next }) {
                found.insert(record.id)
                frontier.append(record.id)
            }
        }
        return found.compactMap { commits[$0] }.sorted { $0.sequence < $1.sequence }.map(commitInfo)
    }

    // MARK: Records to infos

    func repoInfo(_ record: RepoRecord) -> RepoInfo {
        let names = branches.keys.filter { $0.repo == record.name }.map(\.branch).sorted()
        return RepoInfo(name: record.name, description: record.description, createdAtNanos: record.createdAtNanos,
                        sizeBytes: newestFinishedSize(on: BranchKey(record.name, .master)), branches: names)
    }

    func branchInfo(_ record: BranchRecord, downstream: [BranchKey: [BranchKey]]) -> BranchInfo {
        let upstream = provenanceClosure(of: record.provenance)
        let below = closure(from: Set(downstream[record.key] ?? [])) { downstream[$0] ?? [] }
        return BranchInfo(key: record.key, head: record.head, directProvenance: record.provenance.sorted(),
                          provenance: upstream, subvenance: below)
    }

    func commitInfo(_ record: CommitRecord) -> CommitInfo {
        CommitInfo(id: record.id, repo: record.repo, branch: record.branch, parent: record.parent,
                   children: record.children.sorted(), startedAtNanos: record.startedAtNanos,
                   finishedAtNanos: record.finishedAtNanos, sizeBytes: record.sizeBytes,
                   rootTreeID: record.rootTreeID, provenance: record.provenance, description: record.description,
                   stagedVersion: record.staged.version, stagedPaths: UInt64(record.staged.pathCount))
    }

    /// The size of the newest finished commit on `key`, so a repo's size does not drop to 0 while a
    /// write is open.
    private func newestFinishedSize(on key: BranchKey) -> UInt64 {
        var next = branches[key]?.head
        var steps = 0
        while let id = next, let record = commits[id], steps <= commits.count {
            if !record.isOpen { return record.sizeBytes }
            next = record.parent
            steps += 1
        }
        return 0
    }
}

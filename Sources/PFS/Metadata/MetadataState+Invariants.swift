/// What holds between any two commands. Tests check it after every step of random command sequences, and
/// `restore` checks it on every incoming snapshot, so a corrupt image is refused rather than served.
extension MetadataState {
    /// A sentence describing the first broken invariant, or nil when the state is consistent:
    /// - every branch belongs to an existing repo; its head, if any, exists and belongs to the same repo;
    /// - parent and children links agree, stay within a repo, and point from older to newer commits;
    /// - an open commit has no children and is the head of the branch it was started on (so a branch has
    ///   at most one open commit, and it is the head);
    /// - branch provenance names existing branches and has no cycle;
    /// - commit provenance names existing commits of the named repo.
    public func invariantViolation() -> String? {
        for (name, record) in repos where name != record.name {
            return "repo stored under \(name) is named \(record.name)"
        }
        for key in branches.keys.sorted() {
            if let problem = branchViolation(branches[key]!, storedAs: key) { return problem }
        }
        if let cycle = anyProvenanceCycle() { return "provenance cycle through \(cycle)" }
        var sequences = Set<UInt64>()
        for id in commits.keys.sorted() {
            let record = commits[id]!
            if !sequences.insert(record.sequence).inserted { return "commit \(id) reuses sequence \(record.sequence)" }
            if let problem = commitViolation(record, storedAs: id) { return problem }
        }
        return nil
    }

    private func branchViolation(_ record: BranchRecord, storedAs key: BranchKey) -> String? {
        if key != record.key { return "branch stored under \(key) is \(record.key)" }
        if repos[key.repo] == nil { return "branch \(key) belongs to missing repo \(key.repo)" }
        if let head = record.head {
            guard let commit = commits[head] else { return "branch \(key) has missing head \(head)" }
            if commit.repo != key.repo { return "branch \(key) has head \(head) from repo \(commit.repo)" }
        }
        for source in record.provenance.sorted() where branches[source] == nil || source == key {
            return "branch \(key) has provenance on \(source), which is itself or missing"
        }
        return nil
    }

    private func commitViolation(_ record: CommitRecord, storedAs id: CommitID) -> String? {
        if id != record.id { return "commit stored under \(id) is \(record.id)" }
        if repos[record.repo] == nil { return "commit \(id) belongs to missing repo \(record.repo)" }
        if record.sequence >= nextSequence { return "commit \(id) has sequence \(record.sequence) >= next \(nextSequence)" }
        if let finished = record.finishedAtNanos, finished < record.startedAtNanos {
            return "commit \(id) finished at \(finished) before it started at \(record.startedAtNanos)"
        }
        if let parentID = record.parent {
            guard let parent = commits[parentID] else { return "commit \(id) has missing parent \(parentID)" }
            if parent.repo != record.repo { return "commit \(id) has parent \(parentID) in repo \(parent.repo)" }
            if !parent.children.contains(id) { return "commit \(id) is missing from its parent \(parentID)'s children" }
            if parent.sequence >= record.sequence { return "commit \(id) is older than its parent \(parentID)" }
        }
        for child in record.children.sorted() where commits[child]?.parent != id {
            return "commit \(id) lists child \(child), whose parent is not \(id)"
        }
        if !record.isOpen && (!record.staged.isEmpty || record.staged.version != 0) {
            return "finished commit \(id) still holds staged writes"
        }
        if record.isOpen {
            if !record.children.isEmpty { return "open commit \(id) has children" }
            let origin = BranchKey(record.repo, record.branch)
            if branches[origin]?.head != id { return "open commit \(id) is not the head of its branch \(origin)" }
        }
        for entry in record.provenance where commits[entry.commit]?.repo != entry.branch.repo {
            return "commit \(id) has provenance \(entry), which is missing or in another repo"
        }
        return nil
    }

    /// Some branch on a provenance cycle, or nil. Kahn's algorithm: repeatedly remove branches with no
    /// remaining upstream; whatever cannot be removed lies on or behind a cycle.
    private func anyProvenanceCycle() -> BranchKey? {
        var remaining = branches.mapValues { $0.provenance.count }
        let downstream = downstreamMap()
        var ready = remaining.filter { $0.value == 0 }.map(\.key)
        while let node = ready.popLast() {
            remaining[node] = nil
            for next in downstream[node] ?? [] {
                remaining[next]! -= 1
                if remaining[next] == 0 { ready.append(next) }
            }
        }
        return remaining.keys.min()
    }
}

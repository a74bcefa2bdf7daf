extension MetadataState {
    /// Opens a commit. Pachyderm's rules: the branch is created when missing (so `master` appears with a
    /// repo's first write); a branch whose head is open refuses a second one; the parent defaults to the
    /// head and must be finished; the branch head moves to the new commit. The commit's provenance is the
    /// head of every upstream branch (transitively) at this point of the log.
    mutating func startCommit(_ key: BranchKey, parent: Ref?, id: CommitID, startedAtNanos: UInt64,
                              description: String) throws(PFSError) -> CommitInfo {
        try Self.checkDescription(description)
        _ = try repo(key.repo)
        let existing = branches[key]
        if let head = existing?.head, try commit(head).isOpen { throw .branchHasOpenCommit(key, head) }
        if commits[id] != nil { throw .commitExists(id) }
        let parentID: CommitID?
        if let parent {
            let record = try resolveRecord(parent)
            guard record.repo == key.repo else { throw .commitNotInRepo(record.id, key.repo) }
            guard !record.isOpen else { throw .commitNotFinished(record.id) }
            parentID = record.id
        } else {
            parentID = existing?.head
        }
        return insertCommit(id, on: key, parent: parentID, startedAtNanos: startedAtNanos, finished: nil,
                            description: description)
    }

    /// Replaces the provenance of the open commit `id` with `inputs` and, transitively, their own
    /// provenance: for an extension that starts a commit computed from commits other than the upstream
    /// heads (a job that runs on one input commit while newer ones wait). Run inside its `apply`.
    public mutating func replaceProvenance(of id: CommitID, with inputs: [CommitProvenance]) throws(PFSError) {
        let record = try commit(id)
        guard record.isOpen else { throw .commitFinished(id) }
        var provenance = Set<CommitProvenance>()
        for input in inputs {
            let upstream = try commit(input.commit)
            guard upstream.repo == input.branch.repo else { throw .commitNotInRepo(input.commit, input.branch.repo) }
            provenance.insert(input)
            provenance.formUnion(upstream.provenance)
        }
        commits[id]!.provenance = provenance.sorted()
    }

    /// Makes a finished commit in one step on top of the branch head the proposer built its tree on.
    mutating func commitFiles(_ key: BranchKey, parent: CommitID?, id: CommitID, startedAtNanos: UInt64,
                              finishedAtNanos: UInt64, sizeBytes: UInt64, rootTreeID: String,
                              description: String) throws(PFSError) -> CommitInfo {
        try Self.checkDescription(description)
        try Self.checkRootTreeID(rootTreeID)
        _ = try repo(key.repo)
        let head = branches[key]?.head
        if let head, try commit(head).isOpen { throw .branchHasOpenCommit(key, head) }
        guard head == parent else { throw .branchHeadMoved(key, expected: parent, actual: head) }
        if commits[id] != nil { throw .commitExists(id) }
        return insertCommit(id, on: key, parent: parent, startedAtNanos: startedAtNanos,
                            finished: (max(finishedAtNanos, startedAtNanos), sizeBytes, rootTreeID),
                            description: description)
    }

    /// Adds the record of a new commit on `key` (created when missing) and moves the head to it. Every
    /// check is the caller's, done before.
    private mutating func insertCommit(_ id: CommitID, on key: BranchKey, parent: CommitID?, startedAtNanos: UInt64,
                                       finished: (atNanos: UInt64, sizeBytes: UInt64, root: String)?,
                                       description: String) -> CommitInfo {
        let existing = branches[key]
        let upstream = provenanceClosure(of: existing?.provenance ?? [])
        let provenance = upstream.compactMap { upstreamKey in
            branches[upstreamKey]?.head.map { CommitProvenance(branch: upstreamKey, commit: $0) }
        }
        if existing == nil { branches[key] = BranchRecord(key: key, head: nil, provenance: []) }
        commits[id] = CommitRecord(id: id, repo: key.repo, branch: key.branch, parent: parent, children: [],
                                   startedAtNanos: startedAtNanos, finishedAtNanos: finished?.atNanos,
                                   sizeBytes: finished?.sizeBytes ?? 0, rootTreeID: finished?.root ?? "",
                                   provenance: provenance, sequence: nextSequence, description: description)
        nextSequence += 1
        if let parent { commits[parent]!.children.insert(id) }
        branches[key]!.head = id
        return commitInfo(commits[id]!)
    }

    /// Adds writes to an open commit (see `StagedTree` for the conflict rule).
    mutating func stageFiles(_ ref: Ref, basedOn: UInt64, writes: [StagedTree.Write],
                             guards: [PFSPath]) throws(PFSError) -> CommitInfo {
        let count = writes.count + guards.count
        guard count <= MetadataLimits.stageWritesMax else {
            throw .limitExceeded("a stage command carries \(count) writes and guards; the limit is \(MetadataLimits.stageWritesMax)")
        }
        let record = try resolveRecord(ref)
        guard record.isOpen else { throw .commitFinished(record.id) }
        try commits[record.id]!.staged.apply(writes, basedOn: basedOn, guards: guards, commit: record.id,
                                              pathsMax: MetadataLimits.stagedPathsMax)
        return commitInfo(commits[record.id]!)
    }

    /// Finishes an open commit. A finish time before the start (the proposers' clocks differ) is raised to
    /// the start, so `finishedAtNanos >= startedAtNanos` always holds. The staged writes are dropped: the
    /// tree the proposer built from them holds them now.
    mutating func finishCommit(_ ref: Ref, finishedAtNanos: UInt64, sizeBytes: UInt64, rootTreeID: String,
                               stagedVersion: UInt64, description: String) throws(PFSError) -> CommitInfo {
        try Self.checkRootTreeID(rootTreeID)
        try Self.checkDescription(description)
        let record = try resolveRecord(ref)
        guard record.isOpen else { throw .commitFinished(record.id) }
        guard record.staged.version == stagedVersion else {
            throw .commitChanged(record.id, expected: stagedVersion, actual: record.staged.version)
        }
        commits[record.id]!.finishedAtNanos = max(finishedAtNanos, record.startedAtNanos)
        commits[record.id]!.sizeBytes = sizeBytes
        commits[record.id]!.rootTreeID = rootTreeID
        commits[record.id]!.staged = StagedTree()
        if !description.isEmpty { commits[record.id]!.description = description }
        return commitInfo(commits[record.id]!)
    }

    /// Deletes a leaf commit (Pachyderm 2's rule: only a commit without children, usually a branch's
    /// newest, open or finished). Every branch whose head it is moves back to its parent (to no head for
    /// a first commit). A commit named in other commits' provenance stays until those are deleted, so that
    /// provenance never points at nothing.
    mutating func deleteCommit(_ ref: Ref) throws(PFSError) {
        let record = try resolveRecord(ref)
        if !record.children.isEmpty { throw .commitHasChildren(record.id, children: record.children.sorted()) }
        let dependents = commits.values
            .filter { $0.provenance.contains { $0.commit == record.id } }
            .map(\.id).sorted()
        if !dependents.isEmpty { throw .commitHasSubvenance(record.id, dependents: dependents) }

        if let parent = record.parent { commits[parent]!.children.remove(record.id) }
        for key in branches.values.filter({ $0.head == record.id }).map(\.key) {
            branches[key]!.head = record.parent
        }
        commits[record.id] = nil
    }

    public static func checkRootTreeID(_ rootTreeID: String) throws(PFSError) {
        let treeBytes = rootTreeID.utf8.count
        if treeBytes > MetadataLimits.rootTreeIDBytesMax {
            throw .invalidArgument("the root tree id is \(treeBytes) bytes; the limit is "
                + "\(MetadataLimits.rootTreeIDBytesMax)")
        }
    }

    public static func checkDescription(_ description: String) throws(PFSError) {
        let count = description.utf8.count
        if count > MetadataLimits.descriptionBytesMax {
            throw .invalidArgument("the description is \(count) bytes; the limit is \(MetadataLimits.descriptionBytesMax)")
        }
    }
}

extension MetadataState {
    /// Opens a commit. Pachyderm's rules: the branch is created when missing (so `master` appears with a
    /// repo's first write); a branch whose head is open refuses a second one; the parent defaults to the
    /// head and must be finished; the branch head moves to the new commit. The commit's provenance is the
    /// head of every upstream branch (transitively) at this point of the log.
    mutating func startCommit(_ key: BranchKey, parent: Ref?, id: CommitID,
                              startedAtNanos: UInt64) throws(PFSError) -> CommitInfo {
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
        let upstream = provenanceClosure(of: existing?.provenance ?? [])
        let provenance = upstream.compactMap { upstreamKey in
            branches[upstreamKey]?.head.map { CommitProvenance(branch: upstreamKey, commit: $0) }
        }

        if existing == nil { branches[key] = BranchRecord(key: key, head: nil, provenance: []) }
        commits[id] = CommitRecord(id: id, repo: key.repo, branch: key.branch, parent: parentID, children: [],
                                   startedAtNanos: startedAtNanos, finishedAtNanos: nil, sizeBytes: 0,
                                   rootTreeID: "", provenance: provenance, sequence: nextSequence)
        nextSequence += 1
        if let parentID { commits[parentID]!.children.insert(id) }
        branches[key]!.head = id
        return commitInfo(commits[id]!)
    }

    /// Finishes an open commit. A finish time before the start (the proposers' clocks differ) is raised to
    /// the start, so `finishedAtNanos >= startedAtNanos` always holds.
    mutating func finishCommit(_ ref: Ref, finishedAtNanos: UInt64, sizeBytes: UInt64,
                               rootTreeID: String) throws(PFSError) -> CommitInfo {
        let treeBytes = rootTreeID.utf8.count
        if treeBytes > MetadataLimits.rootTreeIDBytesMax {
            throw .invalidArgument("the root tree id is \(treeBytes) bytes; the limit is "
                + "\(MetadataLimits.rootTreeIDBytesMax)")
        }
        let record = try resolveRecord(ref)
        guard record.isOpen else { throw .commitFinished(record.id) }
        commits[record.id]!.finishedAtNanos = max(finishedAtNanos, record.startedAtNanos)
        commits[record.id]!.sizeBytes = sizeBytes
        commits[record.id]!.rootTreeID = rootTreeID
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
}

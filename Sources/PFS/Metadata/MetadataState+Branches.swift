extension MetadataState {
    /// Creates or updates a branch. `head`, when given, must resolve to a commit of the same repo; when
    /// nil an existing branch keeps its head. `provenance` replaces the direct provenance: every branch
    /// in it must exist, and no cycle (the branch itself included) may form. The branch cannot move off an
    /// open commit that was started on it, which would leave that commit unreachable yet open.
    mutating func createBranch(_ key: BranchKey, head: Ref?, provenance: [BranchKey]) throws(PFSError) -> BranchInfo {
        _ = try repo(key.repo)
        let upstream = Set(provenance)
        if upstream.count > MetadataLimits.provenanceCountMax {
            throw .invalidArgument("\(upstream.count) provenance branches; the limit is "
                + "\(MetadataLimits.provenanceCountMax)")
        }
        let existing = branches[key]
        var newHead = existing?.head
        if let head {
            let record = try resolveRecord(head)
            guard record.repo == key.repo else { throw .commitNotInRepo(record.id, key.repo) }
            newHead = record.id
        }
        if let old = existing?.head, old != newHead, let record = commits[old], record.isOpen,
           record.branch == key.branch {
            throw .branchHasOpenCommit(key, old)
        }
        if upstream.contains(key) { throw .provenanceCycle([key, key]) }
        for branch in upstream.sorted() { _ = try self.branch(branch) }
        if let cycle = provenanceCycle(closing: key, from: upstream) { throw .provenanceCycle(cycle) }

        branches[key] = BranchRecord(key: key, head: newHead, provenance: upstream)
        return branchInfo(branches[key]!, downstream: downstreamMap())
    }

    /// Deletes a branch; its commits stay (other branches may share them, and a ref by id still works).
    mutating func deleteBranch(_ key: BranchKey, force: Bool) throws(PFSError) {
        let record = try branch(key)
        if let head = record.head, let commit = commits[head], commit.isOpen, commit.branch == key.branch {
            throw .branchHasOpenCommit(key, head)
        }
        let dependents = branches.values.filter { $0.provenance.contains(key) }.map(\.key).sorted()
        if !dependents.isEmpty && !force { throw .branchHasDependents(key, dependents: dependents) }

        for dependent in dependents { branches[dependent]!.provenance.remove(key) }
        branches[key] = nil
    }

    // MARK: Provenance graph

    /// The shortest provenance path from `key` through `upstream` back to `key`, or nil when giving `key`
    /// this provenance makes no cycle. Breadth-first over the current edges, visiting each branch once,
    /// in sorted order so that every node reports the same path.
    func provenanceCycle(closing key: BranchKey, from upstream: Set<BranchKey>) -> [BranchKey]? {
        var queue = upstream.sorted()
        var seen = Set(queue)
        var cameFrom: [BranchKey: BranchKey] = [:]
        var next = 0
        while next < queue.count {
            let node = queue[next]
            next += 1
            for source in (branches[node]?.provenance ?? []).sorted() {
                if source == key {
                    var path = [node]
                    while let previous = cameFrom[path.last!] { path.append(previous) }
                    return [key] + Array(path.reversed()) + [key]
                }
                if seen.insert(source).inserted {
                    cameFrom[source] = node
                    queue.append(source)
                }
            }
        }
        return nil
    }

    /// Every branch reachable upstream from `start` (the closure of direct provenance), sorted.
    func provenanceClosure(of start: Set<BranchKey>) -> [BranchKey] {
        closure(from: start) { branches[$0]?.provenance.sorted() ?? [] }
    }

    /// For each branch, the branches that take provenance from it directly. Built once per query, since
    /// subvenance is derived rather than stored (one fact, one place).
    func downstreamMap() -> [BranchKey: [BranchKey]] {
        var map: [BranchKey: [BranchKey]] = [:]
        for record in branches.values {
            for source in record.provenance { map[source, default: []].append(record.key) }
        }
        return map
    }

    /// The nodes reachable from `start` along `edges`, `start` included, sorted. Each node is visited once.
    func closure(from start: Set<BranchKey>, edges: (BranchKey) -> [BranchKey]) -> [BranchKey] {
        var seen = start
        var stack = Array(start)
        while let node = stack.popLast() {
            for next in edges(node) where seen.insert(next).inserted { stack.append(next) }
        }
        return seen.sorted()
    }
}

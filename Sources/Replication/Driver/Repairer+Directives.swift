extension Repairer {
    /// One chunk to copy: fetched once, put on every target missing it.
    struct CopyJob: Sendable {
        var chunk: ChunkID
        var targets: [MemberID]
        /// Live holders to fetch from, best first (the planner's source first).
        var sources: [MemberID]
        /// Frame bytes per target, for the bandwidth limit.
        var storedLength: Int
    }

    /// What became of one `CopyJob`.
    struct CopyResult: Sendable {
        var chunk: ChunkID
        /// Targets that now hold it.
        var copiedTo: [MemberID] = []
        var rawBytes = 0
        /// Sources found to have no good copy (not held, quarantined, or a bad frame sent).
        var badSources: [MemberID] = []
        var failures: [String] = []
        /// Every source answered and none had a good copy.
        var lost = false
        var cancelled = false
    }

    /// Carries out `transfers`, `chunksInFlight` chunks at a time, and records the outcome in `inventory`
    /// (new copies held, bad sources not) and `report`.
    func copy(_ transfers: [RepairPlanner.Transfer], members: [MemberID], inventory: inout Inventory,
              report: inout RepairReport) async {
        var jobs: [CopyJob] = []
        for transfer in transfers {
            if let last = jobs.last, last.chunk == transfer.chunk {
                jobs[jobs.count - 1].targets.append(transfer.to)
                continue
            }
            let held = inventory.holders[transfer.chunk, default: []]
            let others = Placement.ranking(for: transfer.chunk, members: members).filter { held.contains($0) && $0 != transfer.from }
            jobs.append(CopyJob(chunk: transfer.chunk, targets: [transfer.to], sources: [transfer.from] + others,
                                storedLength: inventory.sizes[transfer.chunk]?.storedLength ?? 0))
        }
        let results = await withTaskGroup(of: CopyResult.self) { group in
            var pending = jobs[...]
            for _ in 0..<chunksInFlight {
                guard let job = pending.popFirst() else { break }
                group.addTask { await self.copy(job) }
            }
            var results: [CopyResult] = []
            for await result in group {
                results.append(result)
                if !result.cancelled, !Task.isCancelled, let job = pending.popFirst() { group.addTask { await self.copy(job) } }
            }
            return results
        }
        for result in results {
            inventory.holders[result.chunk, default: []].formUnion(result.copiedTo)
            inventory.holders[result.chunk, default: []].subtract(result.badSources)
            report.copied += result.copiedTo.count
            report.copiedBytes += result.rawBytes * result.copiedTo.count
            report.failures += result.failures
            if result.lost { report.lost.append(result.chunk) }
            if result.cancelled { report.cancelled = true }
        }
        if results.count < jobs.count { report.cancelled = true }
    }

    /// Fetches `job.chunk` from the first source with a good copy and puts it on each target.
    private func copy(_ job: CopyJob) async -> CopyResult {
        var result = CopyResult(chunk: job.chunk)
        guard await pace(job.storedLength * job.targets.count) else {
            result.cancelled = true
            return result
        }
        var frame: ChunkFrame?
        var unavailable = false
        var sourceFailures: [String] = []
        for source in job.sources {
            do throws(ReplicationError) {
                let candidate = try await peers.get(job.chunk, from: source)
                guard candidate.id == job.chunk else { throw .idMismatch(expected: job.chunk, actual: candidate.id) }
                try candidate.verify()
                frame = candidate
                break
            } catch {
                switch error {
                case .peerUnavailable, .io, .closed: unavailable = true
                default: result.badSources.append(source)
                }
                sourceFailures.append("copy \(job.chunk): get from node \(source): \(error)")
            }
        }
        guard let frame else {
            // Every live holder answered and none had a good copy: lost, unless a member comes back.
            result.lost = !unavailable
            if unavailable { result.failures = sourceFailures }
            return result
        }
        result.rawBytes = frame.rawLength
        for target in job.targets {
            do throws(ReplicationError) {
                let answers = try await peers.put([frame], on: target)
                guard let answer = answers.first else { throw .peerUnavailable(target, "put answered nothing") }
                _ = try answer.get()
                result.copiedTo.append(target)
            } catch {
                result.failures.append("copy \(job.chunk) to node \(target): \(error)")
            }
        }
        return result
    }

    /// Deletes the surplus copies `drops` names, for chunks whose intended replicas all confirm they
    /// still hold it (a replica's copy may have been quarantined since the listing), and records the
    /// deletions in `inventory`.
    func drop(_ drops: [RepairPlanner.Drop], members: [MemberID], inventory: inout Inventory,
              report: inout RepairReport) async {
        guard !drops.isEmpty else { return }
        let replicaCount = policy.replicaCount(liveCount: members.count)
        var targets: [ChunkID: [MemberID]] = [:]
        var toConfirm: [MemberID: [ChunkID]] = [:]
        for drop in drops where targets[drop.chunk] == nil {
            let replicas = Placement.replicas(for: drop.chunk, members: members, count: replicaCount)
            targets[drop.chunk] = replicas
            for member in replicas { toConfirm[member, default: []].append(drop.chunk) }
        }
        var unconfirmed = Set<ChunkID>()
        for (member, chunks) in toConfirm.sorted(by: { $0.key < $1.key }) {
            do throws(ReplicationError) {
                let held = try await peers.has(chunks, on: member)
                guard held.count == chunks.count else { throw .peerUnavailable(member, "answered has for \(held.count) of \(chunks.count)") }
                for (chunk, isHeld) in zip(chunks, held) where !isHeld { unconfirmed.insert(chunk) }
            } catch {
                unconfirmed.formUnion(chunks)
                report.failures.append("confirm replicas on node \(member) before dropping: \(error)")
            }
        }
        var byMember: [MemberID: [ChunkID]] = [:]
        for drop in drops where !unconfirmed.contains(drop.chunk) {
            // The planner never names an intended replica; checked again because a wrong drop loses data.
            guard !targets[drop.chunk, default: []].contains(drop.at) else {
                assertionFailure("the planner named intended replica \(drop.at) of \(drop.chunk) for a drop")
                continue
            }
            byMember[drop.at, default: []].append(drop.chunk)
        }
        for (member, chunks) in byMember.sorted(by: { $0.key < $1.key }) {
            do throws(ReplicationError) {
                report.dropped += try await peers.delete(chunks, on: member)
                for chunk in chunks { inventory.holders[chunk]?.remove(member) }
            } catch {
                report.failures.append("drop \(chunks.count) surplus copies on node \(member): \(error)")
            }
        }
    }
}

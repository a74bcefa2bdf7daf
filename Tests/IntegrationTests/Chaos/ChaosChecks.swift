import Foundation
@testable import Linearizability

/// The checks after a chaos run, once every fault is healed: each returns its violations (none is a pass).
enum ChaosChecks {
    /// The calls on every key form a linearizable history of a register.
    static func linearizable(_ history: ChaosHistory) -> [String] {
        switch LinearizabilityChecker().check(history.operations) {
        case .linearizable: return []
        case .notLinearizable(_, let explanation): return ["not linearizable:\n\(explanation)"]
        case .unknown(let key): return ["the linearizability search on \(key) ran out of steps (undecided)"]
        }
    }

    /// Every acknowledged file version reads back with its bytes through every node (a few reads at once).
    static func acknowledgedFiles(_ history: ChaosHistory, cluster: ScriptedCluster, nodes: [Int]) async throws -> [String] {
        let reads = history.files.flatMap { file in nodes.map { (file, $0) } }
        let width = 4
        return try await withThrowingTaskGroup(of: String?.self) { group in
            var violations: [String] = []
            for (index, (file, k)) in reads.enumerated() {
                if index >= width, let done = try await group.next(), let violation = done { violations.append(violation) }
                group.addTask { try await readBack(file, via: k, cluster: cluster, slot: index) }
            }
            for try await done in group { if let violation = done { violations.append(violation) } }
            return violations
        }
    }

    /// Why `file` does not read back through node `k`, or nil when it does.
    private static func readBack(_ file: ChaosHistory.AckedFile, via k: Int, cluster: ScriptedCluster, slot: Int) async throws -> String? {
        let path = "\(cluster.root)/check-get-\(slot)"
        try? FileManager.default.removeItem(atPath: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try await cluster.pachctl(["get", "file", "\(ChaosClient.repo)@\(file.commit):/\(file.key)", "-o", path], via: [k])
        guard result.succeeded, let data = try? Data(contentsOf: URL(fileURLWithPath: path)) else {
            return "acknowledged \(file.value) (\(file.key) in commit \(file.commit)) does not read through node \(k): \(result)"
        }
        if ChaosValue.sha256(data) != file.sha256 {
            return "acknowledged \(file.value) (\(file.key) in commit \(file.commit)) reads back other bytes through node \(k)"
        }
        return nil
    }

    /// Every node lists the same commits (ids, parents, states) and the same branches and heads, and
    /// every acknowledged branch is among them.
    static func sameMetadataEverywhere(_ history: ChaosHistory, cluster: ScriptedCluster, nodes: [Int]) async throws -> [String] {
        var violations: [String] = []
        var commitViews: [Int: Set<String>] = [:]
        var branchViews: [Int: Set<String>] = [:]
        for k in nodes {
            let commits = try await cluster.pachctlOK(["list", "commit", ChaosClient.repo, "-o", "json"], via: [k])
            commitViews[k] = Set(try commits.jsonDocuments().map {
                "\($0.string("id") ?? "?") parent \($0.string("parent_id") ?? "none") \($0.string("state") ?? "?")"
            })
            let branches = try await cluster.pachctlOK(["list", "branch", ChaosClient.repo, "-o", "json"], via: [k])
            branchViews[k] = Set(try branches.jsonDocuments().map { "\($0.string("name") ?? "?") → \($0.string("head_id") ?? "none")" })
        }
        let first = nodes[0]
        for k in nodes.dropFirst() {
            if commitViews[k] != commitViews[first] {
                violations.append("nodes \(first) and \(k) list different commits: only on \(first): "
                    + "\(commitViews[first]!.subtracting(commitViews[k]!).sorted()); only on \(k): \(commitViews[k]!.subtracting(commitViews[first]!).sorted())")
            }
            if branchViews[k] != branchViews[first] {
                violations.append("nodes \(first) and \(k) list different branches or heads: only on \(first): "
                    + "\(branchViews[first]!.subtracting(branchViews[k]!).sorted()); only on \(k): \(branchViews[k]!.subtracting(branchViews[first]!).sorted())")
            }
        }
        let names = Set(branchViews[first]!.map { String($0.split(separator: " ").first ?? "") })
        for branch in history.branches where !names.contains(branch) {
            violations.append("acknowledged branch \(branch) is missing")
        }
        let ids = Set(commitViews[first]!.map { String($0.split(separator: " ").first ?? "") })
        for file in history.files where !ids.contains(file.commit) {
            violations.append("acknowledged commit \(file.commit) (\(file.value)) is missing from list commit")
        }
        return violations
    }

    /// Within `timeout`, no chunk is under-replicated or lost (the repair caught up after the faults).
    static func replicated(cluster: ScriptedCluster, nodes: [Int], timeout: Duration) async throws -> [String] {
        let deadline = ContinuousClock.now + timeout
        var last = "no answer"
        while ContinuousClock.now < deadline {
            let result = try await cluster.pachctl(["cluster", "status", "-o", "json", "--timeout", "3s"], via: nodes, timeout: .seconds(10))
            if result.succeeded, let document = try result.jsonDocuments().first {
                let repair = JSONObject.object(document, "repair")
                let under = repair?.int("under_replicated_chunks") ?? -1
                let lost = repair?.int("lost_chunks") ?? -1
                if under == 0 && lost == 0 { return [] }
                last = "\(under) chunks under-replicated, \(lost) lost"
            }
            try await Task.sleep(for: .seconds(1))
        }
        return ["replicas not back to R within \(timeout): \(last)"]
    }

    /// Every node runs; none crashed (killed ones were restarted).
    static func allRunning(cluster: ScriptedCluster, nodes: [Int]) -> [String] {
        nodes.filter { !cluster.isRunning($0) }.map { k in
            let output = (try? String(contentsOfFile: "\(cluster.root)/cluster/node\(k)/pachd.out", encoding: .utf8)) ?? ""
            return "node \(k) is not running although it was not killed last: \(output.suffix(1500))"
        }
    }
}

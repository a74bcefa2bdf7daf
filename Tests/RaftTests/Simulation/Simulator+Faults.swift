@testable import Raft

/// Fault injection, the fault-free settle phase, and the end-of-run durability and liveness checks.
extension Simulator {
    mutating func injectFault() {
        guard faultsOn else { return }
        events.schedule(.fault, at: now + 100 + randomInt(1_400))
        let kinds = options.faults.sorted { "\($0)" < "\($1)" }
        // Healing is as likely as any fault, so the cluster spends time both broken and whole.
        if chance(30) {
            network.heal()
            trace.record("\(now) fault heal")
            return
        }
        switch kinds[Int(randomInt(UInt64(kinds.count)))] {
        case .partitions:
            let ids = nodeIDs.filter { nodes[$0]!.started }
            if chance(40), let lonely = ids.randomElement(using: &random) {
                network.partition([lonely], ids.filter { $0 != lonely })
            } else {
                var sideA: [NodeID] = []
                var sideB: [NodeID] = []
                for id in ids { if chance(50) { sideA.append(id) } else { sideB.append(id) } }
                network.partition(sideA, sideB)
            }
        case .asymmetricLinks:
            let ids = nodeIDs
            let from = ids[Int(randomInt(UInt64(ids.count)))]
            let to = ids[Int(randomInt(UInt64(ids.count)))]
            if from != to { network.cutOneWay(from: from, to: to) }
        case .loss:
            network.lossPercent = randomInt(25)
        case .duplicates:
            network.duplicatePercent = randomInt(15)
        case .crashes:
            crashOrRestart()
        case .tornWrites:
            // Torn writes happen inside crashes; this fault crashes a node that is mid-write if any.
            if let busy = nodeIDs.first(where: { nodes[$0]!.busy != nil }) { crash(busy) }
        case .pauses:
            if let id = randomUpNode(), !nodes[id]!.paused {
                nodes[id]!.paused = true
                events.schedule(.resume(id), at: now + 50 + randomInt(3_000))
            }
        case .membership:
            changeMembership()
        }
        trace.record("\(now) fault net[\(network.description)] loss \(network.lossPercent)")
    }

    mutating func crashOrRestart() {
        let down = nodeIDs.filter { nodes[$0]!.started && !nodes[$0]!.isUp }
        if !down.isEmpty && (chance(50) || down.count * 2 >= options.voters) {
            start(down[Int(randomInt(UInt64(down.count)))])
        } else if let id = randomUpNode() {
            crash(id)
        }
    }

    mutating func resume(_ id: NodeID) {
        guard var node = nodes[id], node.isUp, node.paused else { return }
        node.paused = false
        let inbox = node.inbox
        node.inbox = []
        nodes[id] = node
        trace.record("\(now) resume \(id) with \(inbox.count) queued")
        for message in inbox { deliver(message) }
        afterEvent(id)
    }

    /// One single-server change through the current leader: add a spare as learner, promote a learner,
    /// or remove a voter (never below three).
    mutating func changeMembership() {
        guard let leaderID = nodeIDs.first(where: { nodes[$0]!.core?.role == .leader && !nodes[$0]!.paused }),
              var leader = nodes[leaderID] else { return }
        let configuration = leader.core!.configuration
        let all = Set(nodeIDs)
        var change: ConfigChange?
        if let learner = configuration.learners.sorted().first {
            change = ConfigChange(.addVoter, node: learner)
        } else if let spare = all.subtracting(configuration.members).sorted().first, chance(50) {
            if !nodes[spare]!.started {
                start(spare)
                leader = nodes[leaderID]!
            }
            change = ConfigChange(.addLearner, node: spare)
        } else if configuration.voters.count > 3 {
            let voters = configuration.voters.sorted()
            change = ConfigChange(.remove, node: voters[Int(randomInt(UInt64(voters.count)))])
        }
        guard let change else { return }
        let accepted = (try? leader.core!.proposeConfigChange(change)) != nil
        nodes[leaderID] = leader
        trace.record("\(now) membership \(change.kind) \(change.node) accepted \(accepted)")
        afterEvent(leaderID)
    }

    /// Ends the fault phase: heal the network, resume and restart every member.
    mutating func settle() {
        faultsOn = false
        network.heal()
        for id in nodeIDs where nodes[id]!.paused { resume(id) }
        for id in nodeIDs where nodes[id]!.started && !nodes[id]!.isUp { start(id) }
        trace.record("\(now) settle")
    }

    /// After the settle phase: one leader, every member caught up and identical, every acknowledged
    /// write applied exactly once everywhere, and the cluster made progress once healed.
    mutating func checkEndState() {
        guard checker.violations.isEmpty else { return }
        clientsOn = false
        runUntil(now + 2_000)
        let leaders = nodeIDs.filter { nodes[$0]!.core?.role == .leader }
        guard leaders.count == 1, let leaderCore = nodes[leaders[0]]!.core else {
            checker.fail("after settling, leaders are \(leaders)", at: now)
            return
        }
        if history.acknowledgedAfterSettle == 0 {
            checker.fail("no write was acknowledged in the fault-free settle phase", at: now)
        }
        let members = leaderCore.configuration.members.sorted()
        for id in members {
            guard let node = nodes[id], let core = node.core else {
                checker.fail("member \(id) is not running after settling", at: now)
                continue
            }
            if node.kv.appliedIndex != leaderCore.commitIndex || core.commitIndex != leaderCore.commitIndex {
                let progress = leaderCore.replicationStatus[id].map { "match \($0.match) next \($0.next) \($0.state)" } ?? "none"
                checker.fail("member \(id) applied \(node.kv.appliedIndex), leader \(leaders[0]) committed "
                    + "\(leaderCore.commitIndex); leader sees \(progress); member role \(core.role) term \(core.term) "
                    + "leader \(core.leader) last \(core.lastIndex) snapshot \(core.snapshotMetadata.index); "
                    + "leader term \(leaderCore.term) snapshot \(leaderCore.snapshotMetadata.index)", at: now)
            }
            if node.kv.values != nodes[leaders[0]]!.kv.values {
                checker.fail("member \(id) state differs from the leader's", at: now)
            }
            checkExactlyOnce(node)
        }
    }

    mutating func checkExactlyOnce(_ node: SimNode) {
        var seen = Set<SimClientKey>()
        for command in node.kv.appliedCommands {
            let key = SimClientKey(client: command.client, sequence: command.sequence)
            if !seen.insert(key).inserted {
                checker.fail("node \(node.id) applied client \(key.client) seq \(key.sequence) twice", at: now)
                return
            }
        }
        for key in history.acknowledged where !seen.contains(key) {
            checker.fail("node \(node.id) lost acknowledged write client \(key.client) seq \(key.sequence)", at: now)
            return
        }
    }
}

import PachAPI

// `cluster status` (admin.proto).
extension Presenter {
    /// A summary line, then one row per node. The leader (as the answering node knows it) is marked
    /// with `*` after its id; ROLE is each node's own view, which differs from the mark only while an
    /// old leader has not yet heard of the new term.
    public func clusterStatus(_ status: Admin_ClusterStatusResponse) -> String {
        if format == .json { return Self.jsonLines([Self.json(clusterStatus: status)]) }
        let leader = status.leaderID == 0 ? "no leader" : "leader node \(status.leaderID)"
        let up = status.nodes.filter(\.up).count
        var output = "cluster \(Self.dash(status.clusterID)): \(leader), \(up)/\(status.nodes.count) nodes up"
        output += ", answered by node \(status.answeredBy)\n"
        var table = TextTable(headers: [
            "ID", "ADDRESS", "ROLE", "TERM", "COMMIT", "APPLIED", "STATUS", "LAST CONTACT", "CHUNKS", "DATA", "ON DISK",
            "NOTE",
        ])
        for node in status.nodes {
            table.append([
                node.isLeader || node.id == status.leaderID ? "\(node.id)*" : "\(node.id)",
                Self.dash(node.apiAddress),
                Self.roleText(node),
                String(node.term), String(node.commitIndex), String(node.appliedIndex),
                node.up ? "up" : "down",
                HumanFormat.lastContact(ms: node.lastContactMs, isSelf: node.id == status.answeredBy),
                String(node.chunks), HumanFormat.size(node.chunkRawBytes), HumanFormat.size(node.chunkStoredBytes),
                Self.note(node),
            ])
        }
        return output + table.render() + Self.repairLine(status)
    }

    /// The leader's repair backlog under the table, or nothing before its first pass.
    static func repairLine(_ status: Admin_ClusterStatusResponse) -> String {
        guard status.hasRepair else { return "" }
        let repair = status.repair
        var line = "chunks: \(repair.chunks) distinct, "
        line += repair.underReplicatedChunks == 0 ? "all fully replicated"
            : "\(repair.underReplicatedChunks) under-replicated (\(HumanFormat.size(repair.underReplicatedBytes)) to repair)"
        if repair.lostChunks > 0 { line += ", \(repair.lostChunks) LOST (no live copy)" }
        return line + "\n"
    }

    /// The node's error, and the leader's verdict when it recorded the node as down.
    static func note(_ node: Admin_NodeStatus) -> String {
        let verdict = node.markedDown ? "marked down by the leader" : ""
        return [verdict, node.error].filter { !$0.isEmpty }.joined(separator: "; ")
    }

    /// The role, with "(learner)" for a non-voting member.
    static func roleText(_ node: Admin_NodeStatus) -> String {
        let role = roleName(node.role)
        return node.membership == .learner ? "\(role) (learner)" : role
    }

    /// The JSON document of a cluster status: one document, since the summary belongs with the nodes.
    public static func json(clusterStatus status: Admin_ClusterStatusResponse) -> JSONValue {
        .object([
            JSONField("cluster_id", .string(status.clusterID)),
            JSONField("answered_by", .uint(status.answeredBy)),
            JSONField("leader_id", status.leaderID == 0 ? .null : .uint(status.leaderID)),
            JSONField("nodes", .array(status.nodes.map(json(node:)))),
            JSONField("repair", status.hasRepair ? .object([
                JSONField("chunks", .uint(status.repair.chunks)),
                JSONField("under_replicated_chunks", .uint(status.repair.underReplicatedChunks)),
                JSONField("under_replicated_bytes", .uint(status.repair.underReplicatedBytes)),
                JSONField("lost_chunks", .uint(status.repair.lostChunks)),
            ]) : .null),
        ])
    }

    /// The JSON document of one node.
    public static func json(node: Admin_NodeStatus) -> JSONValue {
        .object([
            JSONField("id", .uint(node.id)),
            JSONField("api_address", .string(node.apiAddress)),
            JSONField("peer_address", .string(node.peerAddress)),
            JSONField("membership", .string(membershipName(node.membership))),
            JSONField("role", .string(roleName(node.role))),
            JSONField("term", .uint(node.term)),
            JSONField("commit_index", .uint(node.commitIndex)),
            JSONField("applied_index", .uint(node.appliedIndex)),
            JSONField("last_index", .uint(node.lastIndex)),
            JSONField("snapshot_index", .uint(node.snapshotIndex)),
            JSONField("up", .bool(node.up)),
            JSONField("marked_down", .bool(node.markedDown)),
            JSONField("is_leader", .bool(node.isLeader)),
            JSONField("last_contact_ms", node.lastContactMs < 0 ? .null : .int(node.lastContactMs)),
            JSONField("chunks", .uint(node.chunks)),
            JSONField("chunk_raw_bytes", .uint(node.chunkRawBytes)),
            JSONField("chunk_stored_bytes", .uint(node.chunkStoredBytes)),
            JSONField("error", .optionalString(node.error)),
        ])
    }

    static func roleName(_ role: Admin_RaftRole) -> String {
        switch role {
        case .follower: return "follower"
        case .preCandidate: return "pre_candidate"
        case .candidate: return "candidate"
        case .leader: return "leader"
        case .unspecified, .UNRECOGNIZED: return "unknown"
        }
    }

    static func membershipName(_ membership: Admin_Membership) -> String {
        switch membership {
        case .voter: return "voter"
        case .learner: return "learner"
        case .unspecified, .UNRECOGNIZED: return "unknown"
        }
    }
}

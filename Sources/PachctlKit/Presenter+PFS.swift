import PachAPI

// Repos, commits and branches (pfs.proto).
extension Presenter {
    // MARK: Repos

    /// `list repo`: NAME, CREATED, SIZE (MASTER), DESCRIPTION, as Pachyderm prints them.
    public func repos(_ repos: [Pfs_RepoInfo]) -> String {
        if format == .json { return Self.jsonLines(repos.map(Self.json(repo:))) }
        var table = TextTable(headers: ["NAME", "CREATED", "SIZE (MASTER)", "DESCRIPTION"])
        for repo in repos {
            table.append([
                repo.name, HumanFormat.age(unixNanos: repo.createdUnixNanos, nowUnixNanos: nowUnixNanos),
                HumanFormat.size(repo.sizeBytes), repo.description_p,
            ])
        }
        return table.render()
    }

    /// `inspect repo`.
    public func repo(_ repo: Pfs_RepoInfo) -> String {
        if format == .json { return Self.jsonLines([Self.json(repo: repo)]) }
        var list = DetailList()
        list.append("Name", repo.name)
        list.append("Description", Self.dash(repo.description_p))
        list.append("Created", ageWithTime(repo.createdUnixNanos))
        list.append("Size of master", HumanFormat.size(repo.sizeBytes))
        list.append("Branches", Self.dash(repo.branches.map(\.name).joined(separator: ", ")))
        return list.render()
    }

    /// The JSON document of a repo.
    public static func json(repo: Pfs_RepoInfo) -> JSONValue {
        .object([
            JSONField("name", .string(repo.name)),
            JSONField("description", .string(repo.description_p)),
            JSONField("created", jsonTime(repo.createdUnixNanos)),
            JSONField("size_bytes", .uint(repo.sizeBytes)),
            JSONField("branches", .array(repo.branches.map { .string($0.name) })),
        ])
    }

    // MARK: Commits

    /// `list commit`: newest first, as the server sends them.
    public func commits(_ commits: [Pfs_CommitInfo]) -> String {
        if format == .json { return Self.jsonLines(commits.map(Self.json(commit:))) }
        var table = TextTable(headers: ["REPO", "BRANCH", "COMMIT", "STATE", "STARTED", "DURATION", "SIZE", "DESCRIPTION"])
        for commit in commits {
            table.append([
                commit.repo, Self.dash(commit.branch), commit.id, Self.stateName(commit.state),
                HumanFormat.age(unixNanos: commit.startedUnixNanos, nowUnixNanos: nowUnixNanos),
                HumanFormat.commitDuration(
                    startedUnixNanos: commit.startedUnixNanos, finishedUnixNanos: commit.finishedUnixNanos),
                HumanFormat.size(commit.sizeBytes), commit.description_p,
            ])
        }
        return table.render()
    }

    /// `inspect commit` and `finish commit -o json`.
    public func commit(_ commit: Pfs_CommitInfo) -> String {
        if format == .json { return Self.jsonLines([Self.json(commit: commit)]) }
        var list = DetailList()
        list.append("Commit", "\(commit.repo)@\(commit.id)")
        list.append("Original branch", Self.dash(commit.branch))
        list.append("Parent", commit.parentID.isEmpty ? "<none>" : commit.parentID)
        list.append("Children", Self.dash(commit.childIds.joined(separator: ", ")))
        list.append("State", Self.stateName(commit.state))
        list.append("Started", ageWithTime(commit.startedUnixNanos))
        list.append("Finished", ageWithTime(commit.finishedUnixNanos))
        list.append(
            "Duration",
            HumanFormat.commitDuration(
                startedUnixNanos: commit.startedUnixNanos, finishedUnixNanos: commit.finishedUnixNanos))
        list.append("Size", HumanFormat.size(commit.sizeBytes))
        list.append("Root tree", Self.dash(commit.rootTreeID))
        let provenance = commit.provenance.map { entry in
            entry.branch.isEmpty ? "\(entry.repo)@\(entry.id)" : "\(entry.repo)@\(entry.id) (\(entry.branch))"
        }
        list.append("Provenance", Self.dash(provenance.joined(separator: ", ")))
        list.append("Description", Self.dash(commit.description_p))
        return list.render()
    }

    /// `start commit`: the new id alone (so `ID=$(pachctl start commit …)` works), or its JSON.
    public func startedCommit(_ commit: Pfs_Commit) -> String {
        if format == .json {
            return Self.jsonLines([
                .object([
                    JSONField("repo", .string(commit.repo)),
                    JSONField("branch", .optionalString(commit.branch)),
                    JSONField("id", .string(commit.id)),
                ])
            ])
        }
        return commit.id + "\n"
    }

    /// The JSON document of a commit.
    public static func json(commit: Pfs_CommitInfo) -> JSONValue {
        .object([
            JSONField("repo", .string(commit.repo)),
            JSONField("branch", .optionalString(commit.branch)),
            JSONField("id", .string(commit.id)),
            JSONField("parent_id", .optionalString(commit.parentID)),
            JSONField("child_ids", .array(commit.childIds.map(JSONValue.string))),
            JSONField("state", .string(stateName(commit.state))),
            JSONField("started", jsonTime(commit.startedUnixNanos)),
            JSONField("finished", jsonTime(commit.finishedUnixNanos)),
            JSONField("size_bytes", .uint(commit.sizeBytes)),
            JSONField("root_tree_id", .optionalString(commit.rootTreeID)),
            JSONField("description", .string(commit.description_p)),
            JSONField(
                "provenance",
                .array(
                    commit.provenance.map { entry in
                        .object([
                            JSONField("repo", .string(entry.repo)),
                            JSONField("branch", .optionalString(entry.branch)),
                            JSONField("id", .string(entry.id)),
                        ])
                    })),
        ])
    }

    /// "open", "finished", or "unknown" for a state this client does not know (a newer server).
    static func stateName(_ state: Pfs_CommitState) -> String {
        switch state {
        case .open: return "open"
        case .finished: return "finished"
        case .unspecified, .UNRECOGNIZED: return "unknown"
        }
    }

    // MARK: Branches

    /// `list branch`: BRANCH, HEAD, PROVENANCE (the declared, direct provenance).
    public func branches(_ branches: [Pfs_BranchInfo]) -> String {
        if format == .json { return Self.jsonLines(branches.map(Self.json(branch:))) }
        var table = TextTable(headers: ["BRANCH", "HEAD", "PROVENANCE"])
        for branch in branches {
            table.append([branch.name, Self.dash(branch.headID), Self.dash(Self.names(branch.directProvenance))])
        }
        return table.render()
    }

    /// `inspect branch` and `create branch -o json`.
    public func branch(_ branch: Pfs_BranchInfo) -> String {
        if format == .json { return Self.jsonLines([Self.json(branch: branch)]) }
        var list = DetailList()
        list.append("Branch", "\(branch.repo)@\(branch.name)")
        list.append("Head", Self.dash(branch.headID))
        list.append("Direct provenance", Self.dash(Self.names(branch.directProvenance)))
        list.append("Provenance", Self.dash(Self.names(branch.provenance)))
        list.append("Subvenance", Self.dash(Self.names(branch.subvenance)))
        return list.render()
    }

    /// The JSON document of a branch.
    public static func json(branch: Pfs_BranchInfo) -> JSONValue {
        func list(_ branches: [Pfs_Branch]) -> JSONValue {
            .array(branches.map { .object([JSONField("repo", .string($0.repo)), JSONField("name", .string($0.name))]) })
        }
        return .object([
            JSONField("repo", .string(branch.repo)),
            JSONField("name", .string(branch.name)),
            JSONField("head_id", .optionalString(branch.headID)),
            JSONField("direct_provenance", list(branch.directProvenance)),
            JSONField("provenance", list(branch.provenance)),
            JSONField("subvenance", list(branch.subvenance)),
        ])
    }

    /// "a@master, b@dev".
    static func names(_ branches: [Pfs_Branch]) -> String {
        branches.map { "\($0.repo)@\($0.name)" }.joined(separator: ", ")
    }
}

extension MetadataState {
    mutating func createRepo(_ name: RepoName, description: String,
                             createdAtNanos: UInt64) throws(PFSError) -> RepoInfo {
        if repos[name] != nil { throw .repoExists(name) }
        let descriptionBytes = description.utf8.count
        if descriptionBytes > MetadataLimits.descriptionBytesMax {
            throw .invalidArgument("the description is \(descriptionBytes) bytes; the limit is "
                + "\(MetadataLimits.descriptionBytesMax)")
        }
        repos[name] = RepoRecord(name: name, description: description, createdAtNanos: createdAtNanos)
        return repoInfo(repos[name]!)
    }

    /// Removes the repo, its branches and commits. Provenance that other repos hold on it goes too: branch
    /// edges (only with `force`) and the entries naming its commits in other commits' provenance, which
    /// would otherwise point at nothing (or, were the name reused, at the wrong repo).
    mutating func deleteRepo(_ name: RepoName, force: Bool) throws(PFSError) {
        _ = try repo(name)
        let dependents = branches.values
            .filter { $0.key.repo != name && $0.provenance.contains { $0.repo == name } }
            .map(\.key).sorted()
        if !dependents.isEmpty && !force { throw .repoHasDependents(name, dependents: dependents) }

        for key in dependents {
            branches[key]!.provenance = branches[key]!.provenance.filter { $0.repo != name }
        }
        for key in branches.keys.filter({ $0.repo == name }) {
            branches[key] = nil
        }
        let (ours, others) = commits.values.reduce(into: ([CommitID](), [CommitID]())) { lists, record in
            if record.repo == name {
                lists.0.append(record.id)
            } else if record.provenance.contains(where: { $0.branch.repo == name }) {
                lists.1.append(record.id)
            }
        }
        for id in ours { commits[id] = nil }
        for id in others { commits[id]!.provenance.removeAll { $0.branch.repo == name } }
        repos[name] = nil
    }
}

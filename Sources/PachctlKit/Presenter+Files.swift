import PachAPI

// Files (pfs.proto, "Files").
extension Presenter {
    /// `list file` and `glob file`: NAME, TYPE, SIZE, as Pachyderm prints them (directories end in `/`).
    public func files(_ files: [Pfs_FileInfo]) -> String {
        var listing = FileListing(presenter: self)
        return listing.block(files) + listing.finish()
    }

    /// `list file` and `glob file` as they stream: NAME, TYPE, SIZE (or one JSON document per line), a
    /// block at a time.
    public struct FileListing: Sendable {
        let presenter: Presenter
        private var table = TextTableStream(headers: ["NAME", "TYPE", "SIZE"])

        public init(presenter: Presenter) {
            self.presenter = presenter
        }

        /// The text for the next entries.
        public mutating func block(_ files: [Pfs_FileInfo]) -> String {
            if presenter.format == .json { return Presenter.jsonLines(files.map(Presenter.json(file:))) }
            return files.isEmpty ? "" : table.render(files.map { file in
                let isDirectory = file.type == .dir
                let name = isDirectory && file.path != "/" ? file.path + "/" : file.path
                return [name, isDirectory ? "dir" : "file", HumanFormat.size(file.sizeBytes)]
            })
        }

        /// The text that ends the listing (a table's header when nothing was listed).
        public mutating func finish() -> String {
            presenter.format == .json ? "" : table.finish()
        }
    }

    /// `inspect file`.
    public func file(_ file: Pfs_FileInfo) -> String {
        if format == .json { return Self.jsonLines([Self.json(file: file)]) }
        var list = DetailList()
        list.append("Path", file.path)
        list.append("Type", file.type == .dir ? "dir" : "file")
        list.append("Size", "\(HumanFormat.size(file.sizeBytes)) (\(file.sizeBytes) bytes)")
        list.append("Commit", "\(file.commit.repo)@\(file.commit.id)" + (file.commit.branch.isEmpty ? "" : " (\(file.commit.branch))"))
        list.append(file.type == .dir ? "Tree object" : "File object", Self.dash(file.id))
        return list.render()
    }

    /// `diff file`: CHANGE (added, deleted, modified), PATH, SIZE (the new size; the old one for a
    /// deleted file), in path order.
    public func diff(_ changes: [Pfs_DiffFileResponse]) -> String {
        if format == .json { return Self.jsonLines(changes.map(Self.json(change:))) }
        var table = TextTable(headers: ["CHANGE", "PATH", "SIZE"])
        for change in changes {
            let (name, file) = Self.describe(change)
            table.append([name, file.path, HumanFormat.size(file.sizeBytes)])
        }
        return table.render()
    }

    /// `put file`, `delete file`, `copy file`: nothing in a table (the progress bar said it all), the
    /// outcome as JSON.
    public func wrote(_ response: Pfs_PutFileResponse) -> String {
        guard format == .json else { return "" }
        return Self.jsonLines([
            .object([
                JSONField("repo", .string(response.commit.repo)),
                JSONField("branch", .optionalString(response.commit.branch)),
                JSONField("commit", .string(response.commit.id)),
                JSONField("new_commit", .bool(response.newCommit)),
                JSONField("files", .uint(response.files)),
                JSONField("bytes", .uint(response.bytes)),
                JSONField("under_replicated_chunks", .uint(response.underReplicatedChunks)),
            ])
        ])
    }

    /// The JSON document of a file or directory.
    public static func json(file: Pfs_FileInfo) -> JSONValue {
        .object([
            JSONField("repo", .string(file.commit.repo)),
            JSONField("branch", .optionalString(file.commit.branch)),
            JSONField("commit", .string(file.commit.id)),
            JSONField("path", .string(file.path)),
            JSONField("type", .string(file.type == .dir ? "dir" : "file")),
            JSONField("size_bytes", .uint(file.sizeBytes)),
            JSONField("id", .optionalString(file.id)),
        ])
    }

    static func json(change: Pfs_DiffFileResponse) -> JSONValue {
        let (name, _) = describe(change)
        return .object([
            JSONField("change", .string(name)),
            JSONField("new", change.hasNewFile ? json(file: change.newFile) : .null),
            JSONField("old", change.hasOldFile ? json(file: change.oldFile) : .null),
        ])
    }

    private static func describe(_ change: Pfs_DiffFileResponse) -> (String, Pfs_FileInfo) {
        switch change.type {
        case .added: return ("added", change.newFile)
        case .deleted: return ("deleted", change.oldFile)
        case .modified: return ("modified", change.newFile)
        case .unspecified, .UNRECOGNIZED: return ("unknown", change.hasNewFile ? change.newFile : change.oldFile)
        }
    }
}

extension Presenter {
    /// One line of `subscribe commit`, printed as the commit arrives: `repo@id  branch  size  finished`,
    /// or its JSON document.
    public func subscribedCommit(_ commit: Pfs_CommitInfo) -> String {
        if format == .json { return Self.jsonLines([Self.json(commit: commit)]) }
        let finished = Timestamp.rfc3339(unixNanos: commit.finishedUnixNanos) ?? "-"
        return "\(commit.repo)@\(commit.id)  \(Self.dash(commit.branch))  \(HumanFormat.size(commit.sizeBytes))  \(finished)"
            // A description may span lines; folded as in tables so each commit stays one line for scripts.
            + (commit.description_p.isEmpty ? "" : "  \(TextTable.cell(commit.description_p))") + "\n"
    }
}

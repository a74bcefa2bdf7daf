import Foundation
import GRPCCore
import PFS
import PachAPI
import Replication

/// File reads: GetFile (streamed, chunks fetched ahead in parallel), InspectFile, ListFile (streamed a
/// page at a time), GlobFile, DiffFile. Reads of an open commit see its staged writes.
extension PfsService {
    func getFile(request: ServerRequest<Pfs_GetFileRequest>,
                 context: ServerContext) async throws -> StreamingServerResponse<Pfs_GetFileResponse> {
        let message = request.message
        let (ref, path) = try validated { () throws(PFSError) in
            let repo = try PfsArguments.repo(message.repo)
            return (try PfsArguments.ref(in: repo, message.ref), try PFSPath(message.path.isEmpty ? "/" : message.path))
        }
        // A byte range of a finished commit named by id (what a mount reads, a block at a time, after
        // resolving the file) needs no read point: such a commit never changes.
        let ranged = message.offset > 0 || message.length > 0
        if !(ranged && Self.isFinishedCommit(ref, in: backend.metadata)) {
            try await readPoint(request.metadata, context, rpc: "GetFile")
        }
        let opened = try await openTree(ref)
        guard let entry = try await Self.readTree({ try await opened.tree.lookup(path) }) else {
            throw StatusMapping.rpcError(for: .fileNotFound(path: path.description, commit: opened.name))
        }
        if entry.kind == .directory && !message.recursive {
            throw RPCError(code: .invalidArgument, message: "\(path) is a directory in \(opened.name); get it with -r (recursive)")
        }
        if ranged && message.recursive {
            throw RPCError(code: .invalidArgument, message: "a byte range (offset, length) reads one file, not with recursive")
        }
        let start = min(message.offset, entry.sizeBytes)
        let range = ranged ? start..<(message.length == 0 ? entry.sizeBytes : start + min(message.length, entry.sizeBytes - start)) : nil
        let storage = try fileStorage()
        let commit = Pfs_Commit(opened.commit)
        let recursive = message.recursive
        let walk = entry.kind == .file ? nil : opened.tree.walk(under: path)
        return StreamingServerResponse { writer in
            var pipeline = FilePipeline(io: storage, reader: opened.tree.reader, single: walk == nil ? entry : nil,
                                        walk: walk?.makeAsyncIterator(), range: range)
            var buffer = OutgoingBytes(messageBytes: 256 << 10)
            do {
                while let item = try await pipeline.next() {
                    switch item {
                    case .file(let file):
                        guard recursive else { continue }
                        if !buffer.isEmpty { try await writer.write(Self.dataMessage(buffer.drain())) }
                        var header = Pfs_GetFileResponse()
                        header.file = Pfs_FileInfo(file, commit: commit)
                        try await writer.write(header)
                    case .bytes(let bytes):
                        buffer.append(bytes)
                        while let message = buffer.nextMessage() { try await writer.write(Self.dataMessage(message)) }
                    }
                }
            } catch {
                pipeline.cancel()
                throw Self.readError(error)
            }
            if !buffer.isEmpty || (!recursive && (entry.sizeBytes == 0 || range?.isEmpty == true)) {
                try await writer.write(Self.dataMessage(buffer.drain()))
            }
            return [:]
        }
    }

    func inspectFile(request: ServerRequest<Pfs_InspectFileRequest>,
                     context: ServerContext) async throws -> ServerResponse<Pfs_FileInfo> {
        let message = request.message
        let (ref, path) = try validated { () throws(PFSError) in
            let repo = try PfsArguments.repo(message.repo)
            return (try PfsArguments.ref(in: repo, message.ref), try PFSPath(message.path.isEmpty ? "/" : message.path))
        }
        try await readPoint(request.metadata, context, rpc: "InspectFile")
        let opened = try await openTree(ref)
        if path.isRoot && opened.tree.root == nil {
            return ServerResponse(message: Pfs_FileInfo(TreeEntry(path: .root, kind: .directory, id: ChunkID(of: []), sizeBytes: 0),
                                                        commit: Pfs_Commit(opened.commit), emptyRoot: true))
        }
        guard let entry = try await Self.readTree({ try await opened.tree.lookup(path) }) else {
            throw StatusMapping.rpcError(for: .fileNotFound(path: path.description, commit: opened.name))
        }
        return ServerResponse(message: Pfs_FileInfo(entry, commit: Pfs_Commit(opened.commit)))
    }

    func listFile(request: ServerRequest<Pfs_ListFileRequest>,
                  context: ServerContext) async throws -> StreamingServerResponse<Pfs_FileInfo> {
        let message = request.message
        let (ref, path) = try validated { () throws(PFSError) in
            let repo = try PfsArguments.repo(message.repo)
            return (try PfsArguments.ref(in: repo, message.ref), try PFSPath(message.path.isEmpty ? "/" : message.path))
        }
        try await readPoint(request.metadata, context, rpc: "ListFile")
        let opened = try await openTree(ref)
        // The first page is read here so that a missing path is NOT_FOUND rather than a broken stream.
        guard let first = try await Self.readTree({ try await opened.tree.list(path, limit: Self.listPage) }) else {
            throw StatusMapping.rpcError(for: .fileNotFound(path: path.description, commit: opened.name))
        }
        let commit = Pfs_Commit(opened.commit)
        return StreamingServerResponse { writer in
            var page = first
            while true {
                try await writer.write(contentsOf: page.entries.map { Pfs_FileInfo($0, commit: commit) })
                guard let next = page.next else { break }
                guard let following = try await Self.readTree({ try await opened.tree.list(path, after: next, limit: Self.listPage) })
                else { break }
                page = following
            }
            return [:]
        }
    }

    func globFile(request: ServerRequest<Pfs_GlobFileRequest>,
                  context: ServerContext) async throws -> StreamingServerResponse<Pfs_FileInfo> {
        let message = request.message
        let (ref, pattern) = try validated { () throws(PFSError) in
            let repo = try PfsArguments.repo(message.repo)
            return (try PfsArguments.ref(in: repo, message.ref), try Glob(message.pattern))
        }
        try await readPoint(request.metadata, context, rpc: "GlobFile")
        let opened = try await openTree(ref)
        let commit = Pfs_Commit(opened.commit)
        return StreamingServerResponse { writer in
            do {
                for try await entry in opened.tree.glob(pattern) {
                    try await writer.write(Pfs_FileInfo(entry, commit: commit))
                }
            } catch {
                throw Self.readError(error)
            }
            return [:]
        }
    }

    func diffFile(request: ServerRequest<Pfs_DiffFileRequest>,
                  context: ServerContext) async throws -> StreamingServerResponse<Pfs_DiffFileResponse> {
        let message = request.message
        let (newRef, newPath, oldRef, oldPath) = try validated { () throws(PFSError) in
            let repo = try PfsArguments.repo(message.newRepo)
            let newPath = try PFSPath(message.newPath.isEmpty ? "/" : message.newPath)
            let oldRepo = message.oldRepo.isEmpty ? repo : try PfsArguments.repo(message.oldRepo)
            let oldRef = message.oldRef.isEmpty ? nil : try PfsArguments.ref(in: oldRepo, message.oldRef)
            return (try PfsArguments.ref(in: repo, message.newRef), newPath, oldRef,
                    message.oldPath.isEmpty ? newPath : try PFSPath(message.oldPath))
        }
        try await readPoint(request.metadata, context, rpc: "DiffFile")
        let new = try await openTree(newRef)
        let old: OpenedTree?
        if let oldRef {
            old = try await openTree(oldRef)
        } else if let parent = new.commit.parent {
            old = try await openTree(.commit(parent, in: new.commit.repo))
        } else {
            old = nil
        }
        let changes = try await Self.readTree {
            try await FileDiff.changes(old: old?.tree, oldPath: oldPath, new: new.tree, newPath: newPath)
        }
        let newCommit = Pfs_Commit(new.commit)
        let oldCommit = old.map { Pfs_Commit($0.commit) } ?? Pfs_Commit()
        return StreamingServerResponse { writer in
            for change in changes {
                var response = Pfs_DiffFileResponse()
                switch change {
                case .added(_, let entry):
                    response.type = .added
                    response.newFile = Pfs_FileInfo(entry, commit: newCommit)
                case .deleted(_, let entry):
                    response.type = .deleted
                    response.oldFile = Pfs_FileInfo(entry, commit: oldCommit)
                case .modified(_, let before, let after):
                    response.type = .modified
                    response.newFile = Pfs_FileInfo(after, commit: newCommit)
                    response.oldFile = Pfs_FileInfo(before, commit: oldCommit)
                }
                try await writer.write(response)
            }
            return [:]
        }
    }

    // MARK: Helpers

    /// Whether `ref` is a commit id (no ancestry) that this node knows as finished.
    static func isFinishedCommit(_ ref: Ref, in metadata: MetadataStateMachine) -> Bool {
        guard case .commit = ref.target, ref.ancestry == 0 else { return false }
        return (try? metadata.inspectCommit(ref))?.isFinished == true
    }

    /// Entries per ListFile page read from a directory object.
    static var listPage: Int { 1_000 }

    /// A commit and its tree, ready to read.
    struct OpenedTree: Sendable {
        var commit: CommitInfo
        var tree: FileTree
        /// `repo@id`, for messages.
        var name: String
    }

    /// The tree of the commit `ref` names now: a finished commit's stored tree, or an open commit's
    /// parent tree plus its staged writes. Call after a read point.
    func openTree(_ ref: Ref) async throws(RPCError) -> OpenedTree {
        let storage = try fileStorage()
        let view = try query { (state) throws(PFSError) in try state.fileView(ref) }
        let name = "\(view.commit.repo)@\(view.commit.id)"
        if view.commit.isFinished {
            return OpenedTree(commit: view.commit, tree: storage.trees.tree(try FileCommitter.root(view.commit.rootTreeID)),
                              name: name)
        }
        let parentRoot = try FileCommitter.root(view.parentRootTreeID)
        let tree = try await Self.readTree {
            try await storage.openTrees.tree(commit: view.commit.id, version: view.staged.version, parentRoot: parentRoot,
                                             staged: view.staged, reader: storage.trees)
        }
        return OpenedTree(commit: view.commit, tree: tree, name: name)
    }

    /// Runs a tree read, mapping its failures to statuses.
    static func readTree<T>(_ body: () async throws -> T) async throws(RPCError) -> T {
        do { return try await body() } catch { throw readError(error) }
    }

    /// The status for a failed read of trees or chunks.
    static func readError(_ error: any Error) -> RPCError {
        StatusMapping.rpcError(forFiles: error)
    }

    static func dataMessage(_ data: Data) -> Pfs_GetFileResponse {
        var message = Pfs_GetFileResponse()
        message.data = data
        return message
    }
}

extension Pfs_FileInfo {
    /// A tree entry as the API describes it (the empty tree's root: no id).
    init(_ entry: TreeEntry, commit: Pfs_Commit, emptyRoot: Bool = false) {
        self.init()
        self.commit = commit
        path = entry.path.description
        type = entry.kind == .file ? .file : .dir
        sizeBytes = entry.sizeBytes
        id = emptyRoot ? "" : entry.id.hex
    }
}

import Foundation
import GRPCCore
import PFS
import PachAPI
import Replication

/// File writes: PutFile (streamed), DeleteFile, CopyFile. Each stores its bytes first (durable on W
/// replicas), then records the call in one new commit or in the branch's open head (`FileCommitter`).
extension PfsService {
    func putFile(request: StreamingServerRequest<Pfs_PutFileRequest>,
                 context: ServerContext) async throws -> ServerResponse<Pfs_PutFileResponse> {
        let storage = try fileStorage()
        // Until the commit records them, the chunks of this call are referenced by nothing: GC spares them.
        let inFlight = storage.uploads.begin()
        defer { inFlight.finish() }
        var uploads = FileUploads(io: storage)
        var target: (target: FileCommitter.Target, repo: RepoName, description: String)?
        let intents: [FileIntent]
        do {
            for try await message in request.messages {
                if message.hasTarget {
                    guard target == nil else {
                        throw RPCError(code: .invalidArgument, message: "a PutFile call names its target once, in its first message")
                    }
                    target = try validated { () throws(PFSError) in
                        let repo = try PfsArguments.repo(message.target.repo)
                        return (try Self.writeTarget(repo, message.target.ref), repo,
                                try PfsArguments.description(message.target.description_p))
                    }
                    continue
                }
                guard target != nil else {
                    throw RPCError(code: .invalidArgument, message: "the first PutFile message must name the target (repo and branch)")
                }
                if message.hasHeader { try uploads.open(slot: message.slot, try Self.header(message.header)) }
                if !message.data.isEmpty { try await uploads.data(slot: message.slot, message.data) }
                if message.end { try await uploads.end(slot: message.slot) }
                if !message.deletePath.isEmpty {
                    uploads.delete(try validated { () throws(PFSError) in try PFSPath(message.deletePath) })
                }
            }
            intents = try await uploads.finish()
        } catch {
            uploads.cancel()
            throw error
        }
        guard let target else { throw RPCError(code: .invalidArgument, message: "an empty PutFile call: name a target and send files") }
        guard !intents.isEmpty else { throw RPCError(code: .invalidArgument, message: "the call sent no files") }
        let outcome = try await committer(request.metadata, context, rpc: "PutFile")
            .commit(intents, to: target.target, description: target.description, session: try CallSession(metadata: request.metadata))
        logger.debug("files written", metadata: ["pfs.commit": "\(outcome.commit.id)", "pfs.files": "\(uploads.filesWritten)"])
        return ServerResponse(message: Self.response(outcome, files: uploads.filesWritten, bytes: uploads.bytesWritten,
                                                     underReplicated: uploads.underReplicated.count))
    }

    func deleteFile(request: ServerRequest<Pfs_DeleteFileRequest>,
                    context: ServerContext) async throws -> ServerResponse<Pfs_PutFileResponse> {
        _ = try fileStorage()
        let message = request.message
        let (target, paths, description) = try validated { () throws(PFSError) in
            let repo = try PfsArguments.repo(message.repo)
            guard !message.paths.isEmpty else { throw PFSError.invalidArgument("name at least one path to delete") }
            var paths: [PFSPath] = []
            for text in message.paths { paths.append(try PFSPath(text)) }
            return (try Self.writeTarget(repo, message.ref), paths, try PfsArguments.description(message.description_p))
        }
        let outcome = try await committer(request.metadata, context, rpc: "DeleteFile")
            .commit(paths.map(FileIntent.delete), to: target, description: description,
                    session: try CallSession(metadata: request.metadata))
        return ServerResponse(message: Self.response(outcome, files: 0, bytes: 0, underReplicated: 0))
    }

    func copyFile(request: ServerRequest<Pfs_CopyFileRequest>,
                  context: ServerContext) async throws -> ServerResponse<Pfs_PutFileResponse> {
        _ = try fileStorage()
        let message = request.message
        let (sourceRef, sourcePath, target, destination, description) = try validated { () throws(PFSError) in
            let sourceRepo = try PfsArguments.repo(message.srcRepo)
            let repo = try PfsArguments.repo(message.dstRepo)
            return (try PfsArguments.ref(in: sourceRepo, message.srcRef), try PFSPath(message.srcPath),
                    try Self.writeTarget(repo, message.dstRef), try PFSPath(message.dstPath),
                    try PfsArguments.description(message.description_p))
        }
        guard !destination.isRoot else {
            throw RPCError(code: .invalidArgument, message: "cannot copy onto '/': name a destination path below the root")
        }
        try await readPoint(request.metadata, context, rpc: "CopyFile")
        let source = try await openTree(sourceRef)
        guard let entry = try await Self.readTree({ try await source.tree.lookup(sourcePath) }) else {
            throw StatusMapping.rpcError(for: .fileNotFound(path: sourcePath.description, commit: source.name))
        }
        if entry.kind == .directory && !source.commit.isFinished {
            throw RPCError(code: .failedPrecondition, message: "\(source.name) is open: copy a directory from a finished "
                           + "commit (finish it first), or copy its files one by one")
        }
        let outcome = try await committer(request.metadata, context, rpc: "CopyFile")
            .commit([.copy(entry, to: destination)], to: target, description: description,
                    session: try CallSession(metadata: request.metadata))
        return ServerResponse(message: Self.response(outcome, files: entry.kind == .file ? 1 : 0, bytes: 0, underReplicated: 0))
    }

    // MARK: Helpers

    /// The node's file storage, or UNAVAILABLE on a node without a chunk store.
    func fileStorage() throws(RPCError) -> any FileStorage {
        guard let storage = backend.files else {
            throw RPCError(code: .unavailable, message: "this node has no chunk store; files cannot be read or written here")
        }
        return storage
    }

    /// The committer for one call: proposals and read points bounded by the call.
    func committer(_ metadata: Metadata, _ context: ServerContext, rpc: String) throws(RPCError) -> FileCommitter {
        let storage = try fileStorage()
        let service = self
        return FileCommitter(
            metadata: backend.metadata, trees: storage.trees,
            propose: { (command, session) throws(RPCError) in
                try await service.proposeResult(command, session: session, metadata, context, rpc: rpc)
            },
            readPoint: { () throws(RPCError) in try await service.readPoint(metadata, context, rpc: rpc) },
            now: { service.now() })
    }

    /// A write's target: a branch (no ancestry) or the id of an open commit.
    static func writeTarget(_ repo: RepoName, _ text: String) throws(PFSError) -> FileCommitter.Target {
        let ref = try PfsArguments.ref(in: repo, text.isEmpty ? "master" : text)
        guard ref.ancestry == 0 else {
            throw .invalidRef(text: text, why: "files are written to a branch or an open commit, not to an ancestor")
        }
        switch ref.target {
        case .branch(let name): return .branch(BranchKey(repo, name))
        case .commit: return .openCommit(ref)
        }
    }

    /// A file header as the uploads take it.
    static func header(_ message: Pfs_PutFileHeader) throws(RPCError) -> FileUploads.Header {
        let path: PFSPath
        do { path = try PFSPath(message.path) } catch { throw StatusMapping.rpcError(for: error) }
        let format: SplitOptions.Format?
        switch message.split {
        case .none: format = nil
        case .line: format = .line
        case .json: format = .json
        case .csv: format = .csv
        case .UNRECOGNIZED(let value):
            throw RPCError(code: .invalidArgument, message: "unknown split format \(value); expected line, json or csv")
        }
        guard let format else {
            if message.targetFileDatums != 0 || message.targetFileBytes != 0 || message.headerRecords != 0 {
                throw RPCError(code: .invalidArgument, message: "target file datums/bytes and header records need a split format")
            }
            guard !path.isRoot else { throw RPCError(code: .invalidArgument, message: "cannot put a file at '/': name a path") }
            return FileUploads.Header(path: path, append: message.append, split: nil)
        }
        guard !message.append else {
            throw RPCError(code: .invalidArgument, message: "--append and --split do not go together (a split adds numbered pieces)")
        }
        do {
            let options = try SplitOptions(format: format, targetRecords: Int(clamping: message.targetFileDatums),
                                           targetBytes: Int(clamping: message.targetFileBytes),
                                           headerRecords: Int(clamping: message.headerRecords))
            return FileUploads.Header(path: path, append: false, split: options)
        } catch {
            throw RPCError(code: .invalidArgument, message: "\(error)")
        }
    }

    static func response(_ outcome: FileCommitter.Outcome, files: Int, bytes: UInt64,
                         underReplicated: Int) -> Pfs_PutFileResponse {
        var response = Pfs_PutFileResponse()
        response.commit = Pfs_Commit(outcome.commit)
        response.newCommit = outcome.newCommit
        response.files = UInt64(files)
        response.bytes = bytes
        response.underReplicatedChunks = UInt64(underReplicated)
        return response
    }
}

import Foundation
import GRPCCore
import Logging
import PachAPI
import PFS
import Replication

/// The public `pfs.ObjectAPI`: byte strings stored as replicated chunks (see Proto/pfs.proto).
///
/// `PutObject` streams: incoming bytes are cut by the content-defined chunker, hashed and compressed on
/// the node's CPU threads, and written to their replicas a batch at a time, so memory stays bounded
/// (a few batches, see `ObjectUpload`) whatever the object's size. The object (its list of chunks) is written last, as
/// one more chunk, and only then is the call answered.
struct ObjectService: Pfs_ObjectAPI.SimpleServiceProtocol {
    let chunks: NodeChunks
    let logger: Logger
    /// Frames are written to replicas in batches of about this many raw bytes.
    var batchBytes = 8 << 20
    /// Chunks read ahead of the one being sent.
    var readAhead = 8
    /// Bytes per `GetObject` message: below gRPC's default 4 MiB receive limit with room for framing.
    var messageBytes = 2 << 20

    func putObject(request: RPCAsyncSequence<Pfs_PutObjectRequest, any Error>,
                   context: ServerContext) async throws -> Pfs_ObjectInfo {
        let inFlight = chunks.uploads.begin()
        defer { inFlight.finish() }
        var upload = ObjectUpload(chunks: chunks, batchBytes: batchBytes)
        let stored: (ChunkID, FileObject, [ChunkID: WriteReceipt])
        do {
            for try await part in request {
                try await upload.append(part.data)
            }
            stored = try await upload.finish()
        } catch {
            upload.cancel()
            throw error
        }
        let (id, object, receipts) = stored
        logger.info("object stored", metadata: ["object.id": "\(id)", "object.bytes": "\(object.sizeBytes)",
                                                "object.chunks": "\(object.pieces.count)"])
        return Self.info(id: id, object: object, holders: receipts.mapValues(\.holders),
                         underReplicated: Set(object.pieces.map(\.chunk)).filter { receipts[$0]?.isUnderReplicated == true }.count)
    }

    func getObject(request: Pfs_GetObjectRequest, response: RPCWriter<Pfs_GetObjectResponse>,
                   context: ServerContext) async throws {
        let id = try Self.objectID(request.id)
        let live = chunks.liveMembers()
        let object = try await load(id, live: live)
        let reader = chunks.reader()
        var pending: [Task<[UInt8], any Error>] = []
        var next = 0
        var message = OutgoingBytes(messageBytes: messageBytes)
        while next < object.pieces.count || !pending.isEmpty {
            while pending.count < readAhead, next < object.pieces.count {
                let piece = object.pieces[next]
                // `readBytes` verifies by decoding once (about a millisecond per MiB).
                pending.append(Task { try await reader.readBytes(piece.chunk, live: live) })
                next += 1
            }
            let bytes: [UInt8]
            do { bytes = try await pending.removeFirst().value } catch {
                for task in pending { task.cancel() }
                throw Self.rpcError(error, what: "object \(id.hex)")
            }
            message.append(bytes)
            while let data = message.nextMessage() {
                var part = Pfs_GetObjectResponse()
                part.data = data
                try await response.write(part)
            }
        }
        if !message.isEmpty || object.pieces.isEmpty {
            var part = Pfs_GetObjectResponse()
            part.data = message.drain()
            try await response.write(part)
        }
    }

    func inspectObject(request: Pfs_InspectObjectRequest, context: ServerContext) async throws -> Pfs_ObjectInfo {
        let id = try Self.objectID(request.id)
        let live = chunks.liveMembers()
        let object = try await load(id, live: live)
        let ids = object.pieces.map(\.chunk)
        var holders: [ChunkID: [MemberID]] = [:]
        await withTaskGroup(of: (MemberID, [Bool]?).self) { group in
            for member in live {
                group.addTask { (member, try? await chunks.peers.has(ids, on: member)) }
            }
            for await (member, held) in group {
                guard let held else { continue }
                for (id, isHeld) in zip(ids, held) where isHeld { holders[id, default: []].append(member) }
            }
        }
        let wanted = chunks.policy().replicaCount(liveCount: live.count)
        let short = Set(ids).filter { (holders[$0]?.count ?? 0) < wanted }.count
        return Self.info(id: id, object: object, holders: holders.mapValues { $0.sorted() }, underReplicated: short)
    }

    // MARK: Helpers

    private func load(_ id: ChunkID, live: [MemberID]) async throws -> FileObject {
        let bytes: [UInt8]
        do { bytes = try await chunks.reader().readBytes(id, live: live) } catch {
            throw Self.rpcError(error, what: "object \(id.hex)")
        }
        do { return try FileObject(decoding: bytes) } catch {
            throw RPCError(code: .invalidArgument, message: "\(id.hex) is a chunk but not an object: \(error)")
        }
    }

    static func objectID(_ text: String) throws(RPCError) -> ChunkID {
        guard let id = ChunkID(hex: text) else {
            throw RPCError(code: .invalidArgument, message: "'\(text)' is not an object id (64 hex characters)")
        }
        return id
    }

    static func info(id: ChunkID, object: FileObject, holders: [ChunkID: [MemberID]], underReplicated: Int) -> Pfs_ObjectInfo {
        var info = Pfs_ObjectInfo()
        info.id = id.hex
        info.sizeBytes = object.sizeBytes
        info.chunks = object.pieces.map { piece in
            var chunk = Pfs_ObjectChunk()
            chunk.id = piece.chunk.hex
            chunk.sizeBytes = UInt64(piece.sizeBytes)
            chunk.holders = holders[piece.chunk] ?? []
            return chunk
        }
        info.underReplicatedChunks = UInt64(underReplicated)
        return info
    }

    /// The status a client sees for a failure of the chunk layer.
    static func rpcError(_ error: any Error, what: String) -> RPCError {
        if let rpc = error as? RPCError { return rpc }
        guard let replication = error as? ReplicationError else {
            return RPCError(code: .internalError, message: "\(what): \(error)")
        }
        switch replication {
        case .chunkNotFound: return RPCError(code: .notFound, message: "\(what) not found: \(replication)")
        case .replicasFull, .peerOutOfSpace: return RPCError(code: .resourceExhausted, message: replication.description)
        case .insufficientReplicas: return RPCError(code: .unavailable, message: replication.description)
        case .insufficientSpace: return RPCError(code: .resourceExhausted, message: replication.description)
        case .peerUnavailable: return RPCError(code: .unavailable, message: replication.description)
        default: return RPCError(code: .internalError, message: "\(what): \(replication)")
        }
    }
}

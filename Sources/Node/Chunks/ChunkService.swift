import Foundation
import GRPCCore
import Logging
import PachAPI
import Replication

/// The `chunkpb.Chunks` service of this node: peers read and write its chunk store. Served on the peer
/// address (mutual TLS), every call checks its `PeerHeader` first, and every frame is verified against
/// its id before it is stored or sent (the store does both).
struct ChunkService: Chunkpb_Chunks.SimpleServiceProtocol {
    let identity: PeerIdentity
    let store: AsyncChunkStore
    /// This node's uploads in flight, for GC's `Uploads` question.
    var uploads = UploadRegistry()
    let logger: Logger
    var metrics: NodeMetrics?
    /// The most ids one call may name, and the largest page `List` returns.
    var idsPerCallMax = 10_000

    func has(request: Chunkpb_HasRequest, context: ServerContext) async throws -> Chunkpb_HasResponse {
        try identity.check(request.hasHeader ? request.header : nil)
        let ids = try checkedIDs(request.ids)
        var response = Chunkpb_HasResponse()
        do { response.held = try await store.has(ids) } catch { throw Self.rpcError(error) }
        return response
    }

    func put(request: RPCAsyncSequence<Chunkpb_PutRequest, any Error>, response: RPCWriter<Chunkpb_PutResponse>,
             context: ServerContext) async throws {
        var sender: UInt64?
        for try await part in request {
            if sender == nil {
                try identity.check(part.hasHeader ? part.header : nil)
                sender = part.header.from
            }
            metrics?.chunkBytes(.received, peer: sender ?? 0, bytes: part.frames.reduce(0) { $0 + $1.count })
            var frames: [(index: Int, frame: ChunkFrame)] = []
            var results = [Chunkpb_PutResult](repeating: Chunkpb_PutResult(), count: part.frames.count)
            for (index, bytes) in part.frames.enumerated() {
                do {
                    frames.append((index, try ChunkFrame(parsing: [UInt8](bytes), maxRawLength: store.store.options.maxChunkBytes)))
                } catch {
                    results[index] = ChunkWire.putResult(nil, .failure(error))
                    metrics?.chunkWrite("refused")
                }
            }
            let outcomes = await store.put(frames.map(\.frame))
            for (slot, outcome) in zip(frames, outcomes) {
                results[slot.index] = ChunkWire.putResult(slot.frame.id, outcome)
                switch outcome {
                case .success(.stored): metrics?.chunkWrite("stored")
                case .success(.deduplicated): metrics?.chunkWrite("deduplicated")
                case .failure: metrics?.chunkWrite("refused")
                }
                if case .failure(let error) = outcome {
                    logger.warning("chunk refused", metadata: ["chunk.id": "\(slot.frame.id)", "peer.node": "\(identity.nodeID)",
                                                               "error": "\(error)"])
                }
            }
            var answer = Chunkpb_PutResponse()
            answer.results = results
            try await response.write(answer)
        }
    }

    func get(request: Chunkpb_GetRequest, response: RPCWriter<Chunkpb_GetResponse>,
             context: ServerContext) async throws {
        try identity.check(request.hasHeader ? request.header : nil)
        for id in try checkedIDs(request.ids) {
            var answer = Chunkpb_GetResponse()
            answer.id = ChunkWire.data(id)
            do {
                answer.frame = Data(try await store.get(id).bytes)
                metrics?.chunkRead(found: true)
                metrics?.chunkBytes(.sent, peer: request.header.from, bytes: answer.frame.count)
            } catch .chunkNotFound {
                metrics?.chunkRead(found: false)
                answer.missing = "not held"
            } catch .chunkCorrupt(_, let reason) {
                metrics?.chunkRead(found: false)
                answer.missing = "corrupt here (\(reason)); quarantined"
            } catch {
                throw Self.rpcError(error)
            }
            try await response.write(answer)
        }
    }

    func list(request: Chunkpb_ListRequest, context: ServerContext) async throws -> Chunkpb_ListResponse {
        try identity.check(request.hasHeader ? request.header : nil)
        let after = request.after.isEmpty ? nil : try ChunkWire.id(request.after)
        let limit = max(1, min(Int(request.limit), idsPerCallMax))
        let page: ChunkStore.Page
        do { page = try await store.list(after: after, limit: limit) } catch { throw Self.rpcError(error) }
        var response = Chunkpb_ListResponse()
        response.chunks = page.chunks.map { info in
            var entry = Chunkpb_ChunkEntry()
            entry.id = ChunkWire.data(info.id)
            entry.rawBytes = UInt64(info.rawLength)
            entry.storedBytes = UInt64(info.storedLength)
            return entry
        }
        if let next = page.next { response.next = ChunkWire.data(next) }
        return response
    }

    func stat(request: Chunkpb_StatRequest, context: ServerContext) async throws -> Chunkpb_StatResponse {
        try identity.check(request.hasHeader ? request.header : nil)
        let totals = try await ChunkTotals.read(store)
        var response = Chunkpb_StatResponse()
        response.chunks = UInt64(totals.chunks)
        response.rawBytes = UInt64(totals.rawBytes)
        response.storedBytes = UInt64(totals.storedBytes)
        response.availableBytes = UInt64(totals.availableBytes)
        return response
    }

    func delete(request: Chunkpb_DeleteRequest, context: ServerContext) async throws -> Chunkpb_DeleteResponse {
        try identity.check(request.hasHeader ? request.header : nil)
        let ids = try checkedIDs(request.ids)
        var response = Chunkpb_DeleteResponse()
        do { response.deleted = UInt32(try await store.delete(ids)) } catch { throw Self.rpcError(error) }
        if response.deleted > 0 { logger.info("chunks deleted at a peer's request", metadata: ["chunk.count": "\(response.deleted)"]) }
        return response
    }

    func collect(request: Chunkpb_CollectRequest, context: ServerContext) async throws -> Chunkpb_CollectResponse {
        try identity.check(request.hasHeader ? request.header : nil)
        let ids = try checkedIDs(request.ids)
        let untouched = request.untouchedForMs.multipliedReportingOverflow(by: 1_000_000)
        let report: ChunkStore.CollectReport
        do {
            report = try await store.collect(ids, untouchedForNanos: untouched.overflow ? .max : untouched.partialValue)
        } catch {
            throw Self.rpcError(error)
        }
        var response = Chunkpb_CollectResponse()
        response.deleted = UInt32(report.deleted)
        response.deletedBytes = UInt64(report.deletedBytes)
        response.recentlyUsed = UInt32(report.recentlyUsed)
        if report.deleted > 0 {
            logger.info("garbage chunks deleted", metadata: ["chunk.count": "\(report.deleted)", "chunk.bytes": "\(report.deletedBytes)"])
        }
        return response
    }

    func uploads(request: Chunkpb_UploadsRequest, context: ServerContext) async throws -> Chunkpb_UploadsResponse {
        try identity.check(request.hasHeader ? request.header : nil)
        let (age, count) = uploads.oldest()
        var response = Chunkpb_UploadsResponse()
        response.oldestAgeMs = age / 1_000_000
        response.inFlight = UInt32(clamping: count)
        return response
    }

    private func checkedIDs(_ data: [Data]) throws(RPCError) -> [ChunkID] {
        guard data.count <= idsPerCallMax else {
            throw RPCError(code: .resourceExhausted, message: "\(data.count) ids in one call; at most \(idsPerCallMax)")
        }
        return try ChunkWire.ids(data)
    }

    static func rpcError(_ error: ReplicationError) -> RPCError {
        switch error {
        case .insufficientSpace: return RPCError(code: .resourceExhausted, message: error.description)
        case .closed: return RPCError(code: .unavailable, message: error.description)
        default: return RPCError(code: .internalError, message: error.description)
        }
    }
}

import Foundation
import GRPCCore
import PachAPI
import Replication

/// Conversions between the chunk API's generated messages and Replication's values.
enum ChunkWire {
    static func data(_ id: ChunkID) -> Data { Data(id.bytes) }

    /// A 32-byte id from the wire; INVALID_ARGUMENT otherwise.
    static func id(_ data: Data) throws(RPCError) -> ChunkID {
        guard let id = ChunkID(bytes: [UInt8](data)) else {
            throw RPCError(code: .invalidArgument, message: "a chunk id is 32 bytes, not \(data.count)")
        }
        return id
    }

    static func ids(_ data: [Data]) throws(RPCError) -> [ChunkID] {
        var ids: [ChunkID] = []
        ids.reserveCapacity(data.count)
        for item in data { ids.append(try id(item)) }
        return ids
    }

    /// One frame's answer to `Put`.
    static func putResult(_ id: ChunkID?, _ outcome: Result<ChunkStore.PutOutcome, ReplicationError>) -> Chunkpb_PutResult {
        var result = Chunkpb_PutResult()
        if let id { result.id = data(id) }
        switch outcome {
        case .success(.stored): result.outcome = .stored
        case .success(.deduplicated): result.outcome = .alreadyHeld
        case .failure(let error):
            result.message = error.description
            switch error {
            case .truncatedFrame, .corruptFrame, .unsupportedFrameVersion, .chunkTooLarge, .idMismatch:
                result.outcome = .corrupt
            case .insufficientSpace, .peerOutOfSpace:
                result.outcome = .noSpace
            default:
                result.outcome = .failed
            }
        }
        return result
    }

    /// What the writer sees of a peer's answer to one frame.
    static func outcome(_ result: Chunkpb_PutResult, member: UInt64) -> Result<ChunkStore.PutOutcome, ReplicationError> {
        switch result.outcome {
        case .stored: return .success(.stored)
        case .alreadyHeld: return .success(.deduplicated)
        case .corrupt: return .failure(.corruptFrame("node \(member) refused the frame: \(result.message)"))
        case .noSpace: return .failure(.peerOutOfSpace(member, message: result.message))
        case .failed, .unspecified, .UNRECOGNIZED:
            return .failure(.io("node \(member) could not store the chunk: \(result.message)"))
        }
    }

    /// A peer call failure as the replication logic sees it.
    static func unavailable(_ member: UInt64, _ error: any Error) -> ReplicationError {
        if let replication = error as? ReplicationError { return replication }
        return .peerUnavailable(member, PeerLink.describe(error))
    }
}

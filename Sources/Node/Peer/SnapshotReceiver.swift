import GRPCCore
import PachAPI
import Raft

/// Reassembles one InstallSnapshot call: the header first, then chunks, then a length and CRC-32C
/// check. Nothing is handed to Raft unless every check passes (a damaged snapshot installed would
/// replace a follower's whole state with garbage).
struct SnapshotReceiver {
    let identity: PeerIdentity
    let bytesMax: Int
    private var header: Raftpb_SnapshotHeader?
    private var data: [UInt8] = []
    private var checksum = CRC32C()

    init(identity: PeerIdentity, bytesMax: Int) {
        self.identity = identity
        self.bytesMax = bytesMax
    }

    /// Bytes of snapshot data received so far.
    var receivedBytes: Int { data.count }

    /// Takes the next request of the call.
    mutating func accept(_ part: Raftpb_InstallSnapshotRequest) throws(RPCError) {
        switch part.part {
        case .header(let received):
            guard header == nil else { throw RPCError(code: .invalidArgument, message: "a second snapshot header") }
            try identity.check(received.hasPeer ? received.peer : nil)
            guard received.hasMessage, received.message.kind == .installSnapshot, received.message.hasSnapshot,
                  received.message.from == received.peer.from, received.message.to == identity.nodeID else {
                throw RPCError(code: .invalidArgument, message: "the snapshot header carries no valid INSTALL_SNAPSHOT message")
            }
            guard received.dataBytes <= UInt64(bytesMax) else {
                throw RPCError(code: .resourceExhausted,
                               message: "snapshot of \(received.dataBytes) bytes exceeds the limit of \(bytesMax)")
            }
            header = received
            // Reserve for what is announced, but not unboundedly before a byte has arrived.
            data.reserveCapacity(min(Int(received.dataBytes), 64 << 20))
        case .chunk(let chunk):
            guard let header else { throw RPCError(code: .invalidArgument, message: "snapshot data before its header") }
            guard chunk.count <= 1 << 20 else {
                throw RPCError(code: .invalidArgument, message: "snapshot chunk of \(chunk.count) bytes exceeds 1 MiB")
            }
            guard UInt64(data.count + chunk.count) <= header.dataBytes else {
                throw RPCError(code: .dataLoss, message: "snapshot data exceeds the announced \(header.dataBytes) bytes")
            }
            let bytes = [UInt8](chunk)
            checksum.update(bytes)
            data += bytes
        case nil:
            throw RPCError(code: .invalidArgument, message: "an empty snapshot request")
        }
    }

    /// The INSTALL_SNAPSHOT message with its data, once length and checksum match the header.
    func finish() throws(RPCError) -> Message {
        guard let header else { throw RPCError(code: .invalidArgument, message: "a snapshot call without a header") }
        guard UInt64(data.count) == header.dataBytes else {
            throw RPCError(code: .dataLoss, message: "snapshot has \(data.count) of \(header.dataBytes) bytes")
        }
        guard checksum.value == header.dataCrc32C else {
            throw RPCError(code: .dataLoss, message: "snapshot CRC-32C mismatch: got \(checksum.value), "
                + "header says \(header.dataCrc32C)")
        }
        do {
            return try Message(header.message, snapshotData: data)
        } catch {
            throw RPCError(code: .invalidArgument, message: "bad snapshot message: \(error)")
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
import GRPCCore
import Replication

/// What a node's chunk store holds, and the room left for more.
struct ChunkTotals: Sendable, Equatable {
    var chunks: Int
    var rawBytes: Int
    var storedBytes: Int
    /// Free bytes on the store's file system less the store's reserve (0 when below the reserve).
    var availableBytes: Int

    static let zero = ChunkTotals(chunks: 0, rawBytes: 0, storedBytes: 0, availableBytes: 0)

    /// Reads the totals and the free space, off the cooperative pool.
    static func read(_ store: AsyncChunkStore) async throws(RPCError) -> ChunkTotals {
        let inner = store.store
        let result = await store.executor.run { () -> Result<ChunkTotals, ReplicationError> in
            do throws(ReplicationError) {
                let totals = try inner.totals()
                var info = statvfs()
                let free = statvfs(inner.directory, &info) == 0 ? Int(info.f_bavail) * Int(info.f_frsize) : 0
                return .success(ChunkTotals(chunks: totals.chunks, rawBytes: totals.rawBytes, storedBytes: totals.storedBytes,
                                            availableBytes: max(0, free - inner.options.reserveBytes)))
            } catch {
                return .failure(error)
            }
        }
        do { return try result.get() } catch { throw ChunkService.rpcError(error) }
    }
}

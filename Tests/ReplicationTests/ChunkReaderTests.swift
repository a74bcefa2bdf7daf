import Testing
@testable import Replication

@Suite struct ChunkReaderTests {
    /// A cluster of `count` with `chunks` written to their replicas among all members.
    private func written(_ count: Int, chunks: Int, seed: UInt64) async throws -> (TestCluster, [ChunkFrame]) {
        let cluster = try await TestCluster.make(count)
        let frames = try await smallFrames(chunks, seed: seed)
        _ = try await ChunkWriter(peers: cluster.peers, policy: ReplicationPolicy()).write(frames, live: cluster.members)
        cluster.peers.resetCounts()
        return (cluster, frames)
    }

    @Test func aGoodLocalCopyNeedsNoPeer() async throws {
        let (cluster, frames) = try await written(3, chunks: 5, seed: 21)
        let reader = ChunkReader(peers: cluster.peers, selfID: 1, policy: ReplicationPolicy())
        for frame in frames {
            #expect(try await reader.read(frame.id, live: cluster.members) == frame)
            #expect(try await reader.readBytes(frame.id, live: cluster.members) == (try frame.decode()))
        }
        #expect(cluster.peers.calls(on: 2) + cluster.peers.calls(on: 3) == 0)
        #expect(cluster.peers.calls(.get, on: 1) == 10)
    }

    @Test func aCorruptLocalCopyIsQuarantinedFetchedAndWrittenBack() async throws {
        let (cluster, frames) = try await written(3, chunks: 3, seed: 22)
        let victim = frames[1]
        let store = cluster.stores[1]!
        let path = store.chunkPath(victim.id)
        try await offPool { try damage(path, at: ChunkFrame.headerSize + 7) }
        let reader = ChunkReader(peers: cluster.peers, selfID: 1, policy: ReplicationPolicy())
        #expect(try await reader.read(victim.id, live: cluster.members) == victim)
        let first = Placement.ranking(for: victim.id, members: [2, 3])[0]
        #expect(cluster.peers.calls(.get, on: first) == 1, "fetched from the best-ranked other replica")
        #expect(cluster.peers.calls(.put, on: 1) == 1, "read repair")
        let quarantined = try await offPool { try FileManagerList.names(in: "\(store.directory)/quarantine") }
        #expect(quarantined == [victim.id.hex])
        let local = try await cluster.async(1).get(victim.id)
        #expect(local == victim, "the local copy is good again")
    }

    @Test func noCopyAnywhereIsChunkNotFound() async throws {
        let (cluster, _) = try await written(3, chunks: 2, seed: 23)
        let reader = ChunkReader(peers: cluster.peers, selfID: 2, policy: ReplicationPolicy())
        let absent = ChunkID(of: [1, 2, 3])
        await #expect(throws: ReplicationError.chunkNotFound(absent)) { try await reader.read(absent, live: cluster.members) }
        #expect(cluster.peers.calls(.get) == 3, "asked itself and each live member once")
        #expect(cluster.peers.calls(.put) == 0)
    }

    @Test func badRepliesAndDownMembersAreSkipped() async throws {
        let (cluster, frames) = try await written(5, chunks: 8, seed: 24)
        for frame in frames {
            let ranking = Placement.ranking(for: frame.id, members: cluster.members)
            // Read from a member that is not a replica: no read repair there.
            let reader = ChunkReader(peers: cluster.peers, selfID: ranking[4], policy: ReplicationPolicy())
            cluster.peers.setFaults { $0 = .init(down: [ranking[0]], corruptReplies: [ranking[1]]) }
            cluster.peers.resetCounts()
            #expect(try await reader.read(frame.id, live: cluster.members) == frame)
            #expect(cluster.peers.calls(.get, on: ranking[2]) == 1, "the third replica answered")
            #expect(cluster.peers.calls(.put) == 0, "not a replica: nothing stored here")
            #expect(cluster.holders(of: frame.id) == Array(ranking.prefix(3)).sorted())
        }
    }

    @Test func aReplicaMissingItsCopyGetsItBackOnRead() async throws {
        let (cluster, frames) = try await written(5, chunks: 6, seed: 25)
        for frame in frames {
            let replicas = Placement.replicas(for: frame.id, members: cluster.members, count: 3)
            _ = try await cluster.async(replicas[0]).delete([frame.id])
            let reader = ChunkReader(peers: cluster.peers, selfID: replicas[0], policy: ReplicationPolicy())
            #expect(try await reader.read(frame.id, live: cluster.members) == frame)
            #expect(cluster.holders(of: frame.id) == replicas.sorted())
        }
    }

    @Test func aLocalStoreServingABadFrameIsReplacedByAGoodOne() async throws {
        let (cluster, frames) = try await written(3, chunks: 2, seed: 26)
        cluster.peers.setFaults { $0.corruptReplies = [1] }
        let reader = ChunkReader(peers: cluster.peers, selfID: 1, policy: ReplicationPolicy())
        #expect(try await reader.read(frames[0].id, live: cluster.members) == frames[0])
        #expect(cluster.peers.calls(.delete, on: 1) == 1, "the bad local copy is removed so the good one is stored")
        #expect(cluster.peers.calls(.put, on: 1) == 1)
        cluster.peers.setFaults { $0.corruptReplies = [] }
        #expect(try await cluster.async(1).get(frames[0].id) == frames[0])
    }
}

/// Directory listing for assertions, off the store's API.
enum FileManagerList {
    static func names(in path: String) throws -> [String] {
        try FileSystem.list(path).sorted()
    }
}

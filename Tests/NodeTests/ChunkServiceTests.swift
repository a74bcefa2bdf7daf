import Foundation
import GRPCCore
import Raft
import Replication
import Testing
@testable import Node

/// The chunk API between real gRPC endpoints over mutual TLS on 127.0.0.1: node 2 serves its store,
/// node 1 reaches it through `GRPCChunkPeers`.
@Suite(.serialized)
final class ChunkServiceTests {
    static let clusterID = String(repeating: "c4", count: 16)
    let pki: TestPKI
    let root: URL

    init() throws {
        pki = try TestPKI.make(nodes: 2)
        root = FileManager.default.temporaryDirectory.appendingPathComponent("chunk-service-\(UUID().uuidString)")
    }

    deinit {
        pki.remove()
        try? FileManager.default.removeItem(at: root)
    }

    struct Served {
        let store: AsyncChunkStore
        let server: NodeServers.Server
        let task: Task<Void, Never>
        let address: HostPort

        func stop() async {
            server.beginGracefulShutdown()
            task.cancel()
            await task.value
            store.executor.shutdown()
            store.store.close()
        }
    }

    func store(_ name: String) throws -> AsyncChunkStore {
        let store = try ChunkStore(directory: root.appendingPathComponent(name).path,
                                   options: ChunkStore.Options(reserveBytes: 0))
        return AsyncChunkStore(store: store, executor: BlockingExecutor(threads: 2, label: "test.\(name)"))
    }

    func serve() async throws -> Served {
        let local = try store("served")
        let service = ChunkService(identity: PeerIdentity(clusterID: Self.clusterID, nodeID: 2), store: local,
                                   logger: testLogger("chunks"))
        let configured = HostPort(host: "127.0.0.1", port: 0)
        let server = NodeServers.peer(address: configured, tls: pki.files(node: 2), services: [service])
        let task = Task<Void, Never> { _ = try? await server.serve() }
        let address = try await NodeServers.boundAddress(of: server, configured: configured)
        return Served(store: local, server: server, task: task, address: address)
    }

    /// Node 1's view: its own store, and node 2 at `address`, with `tls`.
    func client(to address: HostPort, tls: NodeConfig.TLSFiles? = nil) throws -> (GRPCChunkPeers, GRPCPeerTransport) {
        let options = PeerLinkOptions(identity: PeerIdentity(clusterID: Self.clusterID, nodeID: 1), tls: tls ?? pki.files(node: 1))
        let transport = try GRPCPeerTransport(options: options, peers: [2: address], logger: testLogger("peer1"))
        let peers = GRPCChunkPeers(local: try store("client-\(UUID().uuidString)"), options: options, transport: transport,
                                   logger: testLogger("chunks1"),
                                   timeouts: .init(small: .seconds(3), transferBase: .seconds(5)))
        return (peers, transport)
    }

    @Test func framesTravelVerifiedAndAreDeduplicated() async throws {
        let served = try await serve()
        let (peers, transport) = try client(to: served.address)
        let frames = (0..<5).map { index in ChunkFrame(encoding: (0..<(300_000 + index)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }) }

        #expect(try await peers.has(frames.map(\.id), on: 2) == [false, false, false, false, false])
        let first = try await peers.put(frames, on: 2)
        #expect(first.map { try? $0.get() } == Array(repeating: .stored, count: 5))
        let second = try await peers.put(frames, on: 2)
        #expect(second.map { try? $0.get() } == Array(repeating: .deduplicated, count: 5))
        #expect(try await peers.has(frames.map(\.id), on: 2) == [true, true, true, true, true])
        #expect(try await peers.get(frames[3].id, from: 2) == frames[3])
        let page = try await peers.list(on: 2, after: nil, limit: 3)
        #expect(page.chunks.count == 3 && page.next != nil)
        #expect(try await peers.stat(of: 2).chunks == 5)
        #expect(try await peers.delete([frames[0].id, frames[0].id], on: 2) == 1)
        await #expect(throws: ReplicationError.chunkNotFound(frames[0].id)) { _ = try await peers.get(frames[0].id, from: 2) }

        await peers.shutdown()
        await transport.shutdown()
        await served.stop()
    }

    @Test func aFrameThatIsNotItsIdIsRefusedAndNothingIsStored() async throws {
        let served = try await serve()
        let (peers, transport) = try client(to: served.address)
        let good = ChunkFrame(encoding: Array(repeating: 7, count: 10_000))
        var bytes = good.bytes
        bytes[bytes.count - 1] ^= 0xFF
        let forged = try ChunkFrame(parsing: bytes)
        let answers = try await peers.put([forged], on: 2)
        guard case .failure(.corruptFrame(let why)) = answers[0] else {
            Issue.record("expected a refusal, got \(answers)")
            return
        }
        #expect(why.contains("node 2 refused"))
        #expect(try await served.store.has([good.id]) == [false])
        await peers.shutdown()
        await transport.shutdown()
        await served.stop()
    }

    @Test func aPeerWithAForeignCACertificateCannotReadOrWrite() async throws {
        let served = try await serve()
        let (peers, transport) = try client(to: served.address, tls: pki.foreignFiles)
        let frame = ChunkFrame(encoding: Array(repeating: 1, count: 1000))
        await #expect(throws: ReplicationError.self) { _ = try await peers.put([frame], on: 2) }
        await #expect(throws: ReplicationError.self) { _ = try await peers.has([frame.id], on: 2) }
        #expect(try await served.store.has([frame.id]) == [false])
        await peers.shutdown()
        await transport.shutdown()
        await served.stop()
    }
}

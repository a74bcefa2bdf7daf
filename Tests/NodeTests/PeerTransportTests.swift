import Foundation
import GRPCCore
import PachAPI
import PFS
import Raft
import Synchronization
import Testing
@testable import Node

/// Real gRPC over real mutual TLS on 127.0.0.1, in one process: certificates from `openssl`, three
/// `RaftNode`s with `MemoryStorage` talking through `GRPCPeerTransport`s, and peers that must be refused.
@Suite(.serialized)
final class PeerTransportTests {
    static let clusterID = String(repeating: "5a", count: 16)
    let pki: TestPKI

    init() throws {
        pki = try TestPKI.make(nodes: 3)
    }

    deinit {
        pki.remove()
    }

    func transport(_ id: NodeID, tls: NodeConfig.TLSFiles? = nil,
                   clusterID: String = PeerTransportTests.clusterID) throws -> GRPCPeerTransport {
        let options = PeerLinkOptions(identity: PeerIdentity(clusterID: clusterID, nodeID: id), tls: tls ?? pki.files(node: id))
        return try GRPCPeerTransport(options: options, peers: [:], logger: testLogger("peer\(id)"))
    }

    struct RaftMember {
        let raft: RaftNode
        let machine: RecordingStateMachine
        let transport: GRPCPeerTransport
        let server: TestPeerServer
    }

    @Test func threeRaftNodesElectALeaderAndCommitOnAllOverMutualTLS() async throws {
        var members: [RaftMember] = []
        for id: NodeID in 1...3 {
            let transport = try transport(id)
            let machine = RecordingStateMachine()
            let raft = RaftNode(options: RaftNodeOptions(id: id, bootstrapVoters: [1, 2, 3], seed: id),
                                storage: MemoryStorage(), stateMachine: machine, transport: transport,
                                logger: testLogger("raft\(id)"))
            let server = try await TestPeerServer.start(transport: transport, backend: raft, tls: pki.files(node: id))
            members.append(RaftMember(raft: raft, machine: machine, transport: transport, server: server))
        }
        for member in members {
            for other in members where other.raft.id != member.raft.id {
                try member.transport.setPeer(other.raft.id, address: other.server.address)
            }
        }
        for member in members { try await member.raft.start() }

        let elected = await eventually {
            let statuses = members.map(\.raft.status)
            let leaders = statuses.filter { $0.role == .leader }
            return leaders.count == 1 && statuses.allSatisfy { $0.leader == leaders[0].id }
        }
        #expect(elected, "statuses: \(members.map(\.raft.status))")
        let leader = members.map(\.raft.status).first { $0.role == .leader }?.id ?? 1

        // Proposed on a follower: RaftNode forwards it to the leader through the transport.
        let follower = members.first { $0.raft.id != leader }!
        let answer = try await follower.raft.propose(Array("hello".utf8), client: ClientID(low: 7), sequence: 1)
        #expect(String(decoding: answer, as: UTF8.self).hasPrefix("applied "))
        let everywhere = await eventually {
            members.allSatisfy { $0.machine.appliedData.contains(Array("hello".utf8)) }
        }
        #expect(everywhere, "applied: \(members.map(\.machine.appliedData))")

        // The peer Status RPC answers with the callee's own view.
        let remote = try await follower.transport.status(of: leader, timeout: .seconds(2))
        #expect(remote.nodeID == leader && remote.role == .leader)
        #expect(remote.configuration.voters == [1, 2, 3])

        for member in members { await member.raft.stop() }
        for member in members {
            await member.transport.shutdown()
            await member.server.stop()
        }
    }

    /// Starts node 2 as a receiver with a fake backend; returns its transport, server and recorder.
    func receiver() async throws -> (GRPCPeerTransport, TestPeerServer, EventRecorder) {
        let transport = try transport(2)
        let recorder = EventRecorder()
        transport.start { recorder.record($0) }
        let server = try await TestPeerServer.start(transport: transport, backend: FakePeerBackend(status: RaftStatus(id: 2)),
                                                    tls: pki.files(node: 2))
        return (transport, server, recorder)
    }

    /// Sends heartbeats from `sender` to node 2 for `duration`, or until `stop` says so.
    func heartbeats(from sender: GRPCPeerTransport, for duration: Duration, until stop: () -> Bool = { false }) async {
        let deadline = ContinuousClock.now + duration
        var term: UInt64 = 1
        while ContinuousClock.now < deadline, !stop() {
            sender.send([Message(kind: .heartbeat, from: sender.nodeID, to: 2, term: term)])
            term += 1
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    @Test func aPeerWithAForeignCACertificateCannotDeliver() async throws {
        let (receiver, server, received) = try await receiver()
        let foreign = try transport(1, tls: pki.foreignFiles)
        let foreignEvents = EventRecorder()
        try foreign.setPeer(2, address: server.address)
        foreign.start { foreignEvents.record($0) }
        await heartbeats(from: foreign, for: .milliseconds(1500))
        #expect(received.messages.isEmpty, "delivered: \(received.messages)")
        #expect(foreignEvents.events.contains(.unreachable(2)))

        // The same receiver accepts a peer with a cluster-CA certificate: the refusal was the certificate.
        let trusted = try transport(3)
        try trusted.setPeer(2, address: server.address)
        trusted.start { _ in }
        await heartbeats(from: trusted, for: .seconds(10)) { !received.messages.isEmpty }
        #expect(received.messages.contains { $0.from == 3 && $0.kind == .heartbeat })
        #expect(!received.messages.contains { $0.from == 1 })

        await foreign.shutdown()
        await trusted.shutdown()
        await receiver.shutdown()
        await server.stop()
    }

    @Test func aPeerOfAnotherClusterIsRefusedAtHello() async throws {
        let (receiver, server, received) = try await receiver()
        let stranger = try transport(1, clusterID: String(repeating: "0", count: 32))
        let strangerEvents = EventRecorder()
        try stranger.setPeer(2, address: server.address)
        stranger.start { strangerEvents.record($0) }
        await heartbeats(from: stranger, for: .milliseconds(1000))
        #expect(received.messages.isEmpty)
        #expect(strangerEvents.events.contains(.unreachable(2)))
        await stranger.shutdown()
        await receiver.shutdown()
        await server.stop()
    }

    @Test func aSnapshotTravelsInCheckedChunksAndIsReported() async throws {
        let (receiver, server, received) = try await receiver()
        let sender = try transport(1)
        let senderEvents = EventRecorder()
        try sender.setPeer(2, address: server.address)
        sender.start { senderEvents.record($0) }
        // 2.5 MiB: three chunks, the last one partial; a pattern that repeats only every 251 bytes.
        let data = (0..<(5 << 19)).map { UInt8(truncatingIfNeeded: $0 % 251) }
        let snapshot = Snapshot(metadata: SnapshotMetadata(index: 90, term: 4, configuration: Configuration(voters: [1, 2, 3])),
                                data: data)
        let message = Message(kind: .installSnapshot, from: 1, to: 2, term: 4, snapshot: snapshot)
        sender.send([message])
        let reported = await eventually { senderEvents.events.contains(.snapshotStatus(to: 2, succeeded: true)) }
        #expect(reported, "events: \(senderEvents.events)")
        #expect(received.messages == [message])

        // A snapshot for a peer the transport does not know is reported failed at once.
        sender.send([Message(kind: .installSnapshot, from: 1, to: 9, term: 4, snapshot: snapshot)])
        #expect(senderEvents.events.contains(.snapshotStatus(to: 9, succeeded: false)))
        await sender.shutdown()
        await receiver.shutdown()
        await server.stop()
    }

    @Test func aBrokenStreamReconnectsAndDeliversAgain() async throws {
        let (firstReceiver, firstServer, firstReceived) = try await receiver()
        let sender = try transport(1)
        try sender.setPeer(2, address: firstServer.address)
        sender.start { _ in }
        await heartbeats(from: sender, for: .seconds(10)) { !firstReceived.messages.isEmpty }
        #expect(!firstReceived.messages.isEmpty)

        // Node 2 goes away and comes back on the same port, as a restarted process would.
        let port = firstServer.address.port
        await firstReceiver.shutdown()
        await firstServer.stop()
        let secondReceiver = try transport(2)
        let secondReceived = EventRecorder()
        secondReceiver.start { secondReceived.record($0) }
        let secondServer = try await TestPeerServer.start(transport: secondReceiver,
                                                          backend: FakePeerBackend(status: RaftStatus(id: 2)),
                                                          tls: pki.files(node: 2), port: port)
        await heartbeats(from: sender, for: .seconds(10)) { !secondReceived.messages.isEmpty }
        #expect(secondReceived.messages.contains { $0.from == 1 })
        await sender.shutdown()
        await secondReceiver.shutdown()
        await secondServer.stop()
    }

    @Test func aStreamMayCarryOnlyItsSendersMessagesToTheCallee() async throws {
        let (receiver, server, received) = try await receiver()
        let options = PeerLinkOptions(identity: PeerIdentity(clusterID: Self.clusterID, nodeID: 3), tls: pki.files(node: 3))
        let link = try PeerLink(peer: 2, address: server.address, options: options, logger: testLogger("link"))
        link.start { _ in }
        func streamOutcome(header: Raftpb_PeerHeader, messages: [Message]) async -> RPCError.Code? {
            do {
                _ = try await link.peerClient.stream(requestProducer: { writer in
                    var first = Raftpb_StreamRequest()
                    first.header = header
                    first.messages = messages.map(Raftpb_Message.init)
                    try await writer.write(first)
                })
                return nil
            } catch {
                return (error as? RPCError)?.code
            }
        }
        let identity = options.identity
        let spoofed = Message(kind: .heartbeat, from: 1, to: 2, term: 1)
        #expect(await streamOutcome(header: identity.header(to: 2), messages: [spoofed]) == .invalidArgument)
        let misdirected = Message(kind: .heartbeat, from: 3, to: 4, term: 1)
        #expect(await streamOutcome(header: identity.header(to: 2), messages: [misdirected]) == .invalidArgument)
        #expect(await streamOutcome(header: identity.header(to: 5), messages: []) == .failedPrecondition)
        let fine = Message(kind: .heartbeat, from: 3, to: 2, term: 1)
        #expect(await streamOutcome(header: identity.header(to: 2), messages: [fine]) == nil)
        #expect(received.messages == [fine])
        await link.stop()
        await receiver.shutdown()
        await server.stop()
    }

    @Test func memberRecordsPointTheTransportAndForgottenMembersLoseTheirLink() async throws {
        let local = try transport(1)
        let founder = HostPort(host: "127.0.0.1", port: 40_003)
        try local.setPeer(3, address: founder)
        local.applyMembers([
            MemberInfo(id: 1, apiAddress: "127.0.0.1:1", peerAddress: "127.0.0.1:2", changedAtNanos: 1),
            MemberInfo(id: 2, apiAddress: "127.0.0.1:3", peerAddress: "127.0.0.1:40002", changedAtNanos: 1),
        ])
        // Itself is skipped; the recorded member is added; a peer known only from --peers is kept.
        #expect(local.peers == [2: HostPort(host: "127.0.0.1", port: 40_002), 3: founder])
        local.applyMembers([
            MemberInfo(id: 2, apiAddress: "127.0.0.1:3", peerAddress: "127.0.0.1:40012", changedAtNanos: 2),
            MemberInfo(id: 4, apiAddress: "127.0.0.1:5", peerAddress: "not an address", changedAtNanos: 2),
        ])
        #expect(local.peers == [2: HostPort(host: "127.0.0.1", port: 40_012), 3: founder])
        // Node 2's record is dropped (it was removed): its link goes.
        local.applyMembers([])
        #expect(local.peers == [3: founder])
        await local.shutdown()
    }

    @Test func joinReachesTheMembershipOfTheNodeAskedAndReportsRaftFailures() async throws {
        let receiver = try transport(2)
        let membership = FakeMembership()
        let service = PeerService(identity: receiver.options.identity, transport: receiver,
                                  backend: FakePeerBackend(status: RaftStatus(id: 2)), version: "test", apiAddress: "",
                                  peerAddress: "", logger: testLogger("server"), membership: membership)
        let configured = HostPort(host: "127.0.0.1", port: 0)
        let server = NodeServers.peer(address: configured, tls: pki.files(node: 2), services: [service])
        let task = Task<Void, Never> { _ = try? await server.serve() }
        let address = try await NodeServers.boundAddress(of: server, configured: configured)
        let joiner = try transport(3)
        try joiner.setPeer(2, address: address)
        joiner.start { _ in }

        let admitted = try await joiner.join(via: 2, apiAddress: "127.0.0.1:9", peerAddress: "127.0.0.1:10",
                                             timeout: .seconds(5))
        #expect(!admitted.hasFailure && !admitted.alreadyMember)
        #expect(membership.calls == ["3 127.0.0.1:9 127.0.0.1:10"])

        membership.fail(with: .raft(.configChangePending))
        let busy = try await joiner.join(via: 2, apiAddress: "127.0.0.1:9", peerAddress: "127.0.0.1:10",
                                         timeout: .seconds(5))
        #expect(busy.hasFailure && busy.failure.code == .configChangePending)

        membership.fail(with: .invalid("api address 'x' is not host:port"))
        await #expect(throws: RPCError.self) {
            _ = try await joiner.join(via: 2, apiAddress: "x", peerAddress: "127.0.0.1:10", timeout: .seconds(5))
        }
        await joiner.shutdown()
        await receiver.shutdown()
        server.beginGracefulShutdown()
        task.cancel()
        await task.value
    }
}

/// Records admissions; fails them when told to.
final class FakeMembership: MembershipBackend {
    private let state = Mutex<(calls: [String], failure: MembershipError?)>(([], nil))

    var calls: [String] { state.withLock { $0.calls } }

    func fail(with error: MembershipError) { state.withLock { $0.failure = error } }

    func admit(node: NodeID, apiAddress: String, peerAddress: String) async throws(MembershipError) -> Admission {
        let failure = state.withLock { state -> MembershipError? in
            state.calls.append("\(node) \(apiAddress) \(peerAddress)")
            return state.failure
        }
        if let failure { throw failure }
        return Admission(alreadyMember: false)
    }
}

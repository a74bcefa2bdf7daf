import Foundation
import GRPCCore
import Logging
import Raft
import Synchronization
@testable import Node

/// A quiet logger; set NODE_TEST_LOG=debug (or another level) to see the transports talk.
func testLogger(_ label: String) -> Logger {
    if let level = ProcessInfo.processInfo.environment["NODE_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) {
        var logger = Logger(label: label) { LineLogHandler(label: $0, sink: .standardError, level: level) }
        logger.logLevel = level
        return logger
    }
    return Logger(label: label) { _ in SwiftLogNoOpLogHandler() }
}

/// Polls `condition` every 20 ms until it holds or `timeout` passes; returns whether it held.
func eventually(timeout: Duration = .seconds(10), _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return await condition()
}

/// Records what a transport delivers.
final class EventRecorder: Sendable {
    private let recorded = Mutex<[TransportEvent]>([])

    var events: [TransportEvent] { recorded.withLock { $0 } }

    var messages: [Message] {
        events.compactMap { event in
            if case .message(let message) = event { return message }
            return nil
        }
    }

    func record(_ event: TransportEvent) {
        recorded.withLock { $0.append(event) }
    }
}

/// A state machine that keeps the data of every applied entry.
final class RecordingStateMachine: StateMachine {
    private struct State {
        var applied: UInt64 = 0
        var data: [[UInt8]] = []
    }

    private let state = Mutex(State())

    var appliedIndex: UInt64 { state.withLock { $0.applied } }
    var appliedData: [[UInt8]] { state.withLock { $0.data } }

    func apply(_ entry: Entry) throws -> [UInt8] {
        state.withLock { state in
            state.applied = entry.index
            state.data.append(entry.data)
        }
        return Array("applied \(entry.index)".utf8)
    }

    func markApplied(through index: UInt64) throws {
        state.withLock { $0.applied = max($0.applied, index) }
    }

    func snapshot() throws -> [UInt8] { [] }

    func restore(_ snapshot: Snapshot) throws {
        state.withLock { $0 = State(applied: snapshot.metadata.index, data: []) }
    }
}

/// A `PeerBackend` with a fixed status, for transport tests without Raft.
struct FakePeerBackend: PeerBackend {
    var status: RaftStatus

    func propose(_ data: [UInt8], client: ClientID, sequence: UInt64) async throws(RaftError) -> [UInt8] { data }

    func linearizableRead() async throws(RaftError) -> UInt64 { 1 }
}

/// A peer server on an ephemeral port of 127.0.0.1 in front of `transport`.
struct TestPeerServer {
    let server: NodeServers.Server
    let task: Task<Void, Never>
    let address: HostPort

    static func start(transport: GRPCPeerTransport, backend: any PeerBackend,
                      tls: NodeConfig.TLSFiles, port: Int = 0) async throws -> TestPeerServer {
        let service = PeerService(identity: transport.options.identity, transport: transport, backend: backend,
                                  version: "test", apiAddress: "", peerAddress: "", logger: testLogger("server"))
        let configured = HostPort(host: "127.0.0.1", port: port)
        let server = NodeServers.peer(address: configured, tls: tls, services: [service])
        let task = Task<Void, Never> { _ = try? await server.serve() }
        let address = try await NodeServers.boundAddress(of: server, configured: configured)
        return TestPeerServer(server: server, task: task, address: address)
    }

    func stop() async {
        server.beginGracefulShutdown()
        task.cancel()
        await task.value
    }
}

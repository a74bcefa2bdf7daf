import Raft
import Synchronization
import Testing

extension DriverTests {
    @Suite
    struct InMemoryNetworkTests {
        final class Inbox: Sendable {
            let events = Mutex<[TransportEvent]>([])
            func deliver(_ event: TransportEvent) { events.withLock { $0.append(event) } }
            var messages: [Message] {
                events.withLock { $0.compactMap { if case .message(let m) = $0 { m } else { nil } } }
            }
        }

        func heartbeat(from: NodeID, to: NodeID) -> Message {
            Message(kind: .heartbeat, from: from, to: to, term: 1)
        }

        @Test func cutLinksAndIsolationDropMessages() {
            let network = InMemoryNetwork()
            let (one, two) = (network.transport(for: 1), network.transport(for: 2))
            let (inbox1, inbox2) = (Inbox(), Inbox())
            one.start(inbox1.deliver)
            two.start(inbox2.deliver)
            one.send([heartbeat(from: 1, to: 2)])
            network.cut(from: 1, to: 2)
            one.send([heartbeat(from: 1, to: 2)])
            two.send([heartbeat(from: 2, to: 1)])
            network.isolate(2)
            two.send([heartbeat(from: 2, to: 1)])
            network.heal(2)
            one.send([heartbeat(from: 1, to: 2)])
            #expect(inbox2.messages.count == 2)
            #expect(inbox1.messages.count == 1)
            #expect(network.droppedCount == 2)
        }

        @Test func unreachableAndSnapshotOutcomesAreReported() {
            let network = InMemoryNetwork()
            let one = network.transport(for: 1)
            let inbox = Inbox()
            one.start(inbox.deliver)
            let snapshot = Snapshot(metadata: SnapshotMetadata(index: 5, term: 1), data: [])
            one.send([Message(kind: .installSnapshot, from: 1, to: 3, term: 1, snapshot: snapshot)])
            #expect(inbox.events.withLock { $0 } == [.unreachable(3), .snapshotStatus(to: 3, succeeded: false)])
        }

        @Test func delayedMessagesArriveLater() async {
            let network = InMemoryNetwork()
            let (one, two) = (network.transport(for: 1), network.transport(for: 2))
            let inbox = Inbox()
            one.start { _ in }
            two.start(inbox.deliver)
            network.setDelay(.milliseconds(50))
            one.send([heartbeat(from: 1, to: 2)])
            #expect(inbox.messages.isEmpty)
            #expect(await pollUntil(timeout: .seconds(2)) { inbox.messages.count == 1 })
        }
    }
}

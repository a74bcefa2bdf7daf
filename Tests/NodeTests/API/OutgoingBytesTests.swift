import Foundation
import Testing
@testable import Node

@Suite("Outgoing bytes")
struct OutgoingBytesTests {
    @Test func cutsAppendsIntoFixedMessagesAndDrainsTheRest() {
        var outgoing = OutgoingBytes(messageBytes: 4)
        outgoing.append(Array(0..<10))
        #expect(outgoing.nextMessage() == Data([0, 1, 2, 3]))
        #expect(outgoing.nextMessage() == Data([4, 5, 6, 7]))
        #expect(outgoing.nextMessage() == nil)
        outgoing.append([10, 11, 12])
        #expect(outgoing.nextMessage() == Data([8, 9, 10, 11]))
        #expect(outgoing.count == 1)
        #expect(outgoing.drain() == Data([12]))
        #expect(outgoing.isEmpty)
        #expect(outgoing.drain().isEmpty)
    }

    @Test func everyByteComesOutOnceInOrder() {
        var generator = SystemRandomNumberGenerator()
        var outgoing = OutgoingBytes(messageBytes: 7)
        var sent: [UInt8] = []
        var received = Data()
        for _ in 0..<200 {
            let more = (0..<Int.random(in: 0...20, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            sent += more
            outgoing.append(more)
            while let message = outgoing.nextMessage() {
                #expect(message.count == 7)
                received += message
            }
            #expect(outgoing.count < 7)
        }
        received += outgoing.drain()
        #expect(received == Data(sent))
    }

    @Test func aMessageDoesNotShareTheBufferStorage() {
        var outgoing = OutgoingBytes(messageBytes: 2)
        outgoing.append([1, 2, 3, 4])
        let first = outgoing.nextMessage()!
        outgoing.append([5, 6])
        _ = outgoing.drain()
        #expect(first == Data([1, 2]))
        #expect(first.startIndex == 0)
    }
}

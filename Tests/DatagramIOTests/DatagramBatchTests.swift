#if canImport(Glibc)
import Glibc
#endif
import DatagramIO
import Foundation
import STUN
import Testing

@Suite("Batched receive and send")
struct DatagramBatchTests {
    private func socket() throws -> DatagramSocket {
        try DatagramSocket(boundTo: STUNTransportAddress(ip: loopback, port: 0))
    }

    @Test("recvmmsg fills consecutive slots with each datagram and its source; reset frees them")
    func receiveBatch() throws {
        let a = try socket(), b = try socket(), receiver = try socket()
        for index in 0..<5 { a.send([UInt8](repeating: UInt8(index), count: 10 + index), to: receiver.localAddress) }
        b.send([0xEE], to: receiver.localAddress)
        let ring = DatagramReceiveRing(slotCount: 8, slotCapacity: 128)
        let slots = try receiveWaiting(ring, from: receiver)
        #expect(slots == 0..<6)
        #expect(ring.used == 6 && ring.free == 2)
        for index in 0..<5 {
            #expect(Array(ring.payload(index)) == [UInt8](repeating: UInt8(index), count: 10 + index))
            #expect(ring.source(index) == a.localAddress)
            #expect(!ring.isTruncated(index))
        }
        #expect(Array(ring.payload(5)) == [0xEE])
        #expect(ring.source(5) == b.localAddress)
        #expect(ring.receive(from: receiver.descriptor, maximum: 32).isEmpty)  // nothing left: EAGAIN
        ring.reset()
        #expect(ring.free == 8)
    }

    @Test("a full ring reads nothing more until reset")
    func fullRing() throws {
        let sender = try socket(), receiver = try socket()
        for _ in 0..<3 { sender.send([1], to: receiver.localAddress) }
        let ring = DatagramReceiveRing(slotCount: 2, slotCapacity: 16)
        #expect(try receiveWaiting(ring, from: receiver) == 0..<2)
        #expect(ring.receive(from: receiver.descriptor, maximum: 32).isEmpty)
        ring.reset()
        #expect(ring.receive(from: receiver.descriptor, maximum: 32) == 0..<1)
    }

    @Test("a datagram longer than a slot is marked truncated")
    func truncation() throws {
        let sender = try socket(), receiver = try socket()
        sender.send([UInt8](repeating: 9, count: 100), to: receiver.localAddress)
        let ring = DatagramReceiveRing(slotCount: 2, slotCapacity: 64)
        let slots = try receiveWaiting(ring, from: receiver)
        #expect(slots.count == 1)
        #expect(ring.isTruncated(slots.lowerBound))
    }

    @Test("the headroom in front of a payload takes a header without touching the payload")
    func headroom() throws {
        let sender = try socket(), receiver = try socket()
        sender.send([7, 8, 9], to: receiver.localAddress)
        let ring = DatagramReceiveRing(slotCount: 2, slotCapacity: 64)
        let slot = try receiveWaiting(ring, from: receiver).lowerBound
        let payload = ring.payload(slot)
        let framed = UnsafeMutableRawBufferPointer(start: payload.baseAddress! - 4, count: payload.count + 4)
        framed.storeBytes(of: UInt32(0x4001_0003).bigEndian, as: UInt32.self)
        #expect(Array(framed) == [0x40, 0x01, 0x00, 0x03, 7, 8, 9])
        #expect(DatagramReceiveRing.headroom >= 4)
    }

    @Test("queued datagrams leave in order, per socket, referenced or copied")
    func sendQueue() throws {
        let out1 = try socket(), out2 = try socket(), receiver = try socket(), other = try socket()
        let queue = DatagramSendQueue(capacity: 4, arenaCapacity: 65_536)
        let kept: [UInt8] = [1, 1, 1]
        var copied: [UInt8] = [2, 2]
        kept.withUnsafeBytes { _ = queue.enqueue($0, to: receiver.localAddress, through: out1.descriptor) }
        copied.withUnsafeBytes { _ = queue.enqueueCopy($0, to: receiver.localAddress, through: out1.descriptor) }
        copied = [0, 0]  // the copy was taken at enqueue
        [UInt8(3)].withUnsafeBytes { _ = queue.enqueueCopy($0, to: other.localAddress, through: out2.descriptor) }
        #expect(queue.count == 3)
        let result = kept.withUnsafeBytes { _ in queue.flush() }
        #expect(result.sent == 3 && result.refused == 0)
        #expect(queue.isEmpty)

        let ring = DatagramReceiveRing(slotCount: 8, slotCapacity: 64)
        let slots = try receiveWaiting(ring, from: receiver)
        #expect(slots.map { Array(ring.payload($0)) } == [[1, 1, 1], [2, 2]])
        #expect(slots.allSatisfy { ring.source($0) == out1.localAddress })
        let otherSlots = try receiveWaiting(ring, from: other)
        #expect(otherSlots.map { Array(ring.payload($0)) } == [[3]])
        #expect(ring.source(otherSlots.lowerBound) == out2.localAddress)
        _ = copied
        _ = kept
    }

    @Test("a full queue flushes itself before taking more")
    func fullQueueFlushes() throws {
        let out = try socket(), receiver = try socket()
        let queue = DatagramSendQueue(capacity: 2, arenaCapacity: 65_536)
        var flushedEarly = 0
        for value in 0..<5 {
            flushedEarly += [UInt8(value)].withUnsafeBytes { queue.enqueueCopy($0, to: receiver.localAddress, through: out.descriptor) }.sent
        }
        #expect(flushedEarly == 4)
        #expect(queue.flush().sent == 1)
        let ring = DatagramReceiveRing(slotCount: 8, slotCapacity: 16)
        let slots = try receiveWaiting(ring, from: receiver)
        #expect(slots.map { ring.payload($0)[0] } == [0, 1, 2, 3, 4])
    }

    @Test("a datagram the kernel refuses is counted and the rest still leave")
    func refusedDatagram() throws {
        let out = try socket(), receiver = try socket()
        let queue = DatagramSendQueue(capacity: 8, arenaCapacity: 65_536)
        [UInt8(1)].withUnsafeBytes { _ = queue.enqueueCopy($0, to: receiver.localAddress, through: out.descriptor) }
        // An IPv6 destination through an IPv4 socket: the kernel refuses this one datagram.
        [UInt8(2)].withUnsafeBytes { _ = queue.enqueueCopy($0, to: STUNTransportAddress(ip: .v6(0, 1), port: 9), through: out.descriptor) }
        [UInt8(3)].withUnsafeBytes { _ = queue.enqueueCopy($0, to: receiver.localAddress, through: out.descriptor) }
        let result = queue.flush()
        #expect(result.sent == 2 && result.refused == 1)
        let ring = DatagramReceiveRing(slotCount: 8, slotCapacity: 16)
        let slots = try receiveWaiting(ring, from: receiver)
        #expect(slots.map { ring.payload($0)[0] } == [1, 3])
    }
}

@Suite("ReadinessPoller")
struct ReadinessPollerTests {
    @Test("reports a readable socket by its token, and nothing on timeout")
    func readable() throws {
        let poller = try ReadinessPoller()
        let sender = try DatagramSocket(boundTo: STUNTransportAddress(ip: loopback, port: 0))
        let receiver = try DatagramSocket(boundTo: STUNTransportAddress(ip: loopback, port: 0))
        try poller.add(receiver.descriptor, token: 42)
        var tokens: [UInt64] = []
        try poller.wait(timeoutMilliseconds: 0) { tokens.append($0) }
        #expect(tokens.isEmpty)
        sender.send([1], to: receiver.localAddress)
        try poller.wait(timeoutMilliseconds: 1000) { tokens.append($0) }
        #expect(tokens == [42])
        poller.remove(receiver.descriptor)
        tokens.removeAll()
        try poller.wait(timeoutMilliseconds: 0) { tokens.append($0) }
        #expect(tokens.isEmpty)
    }

    @Test("a wakeup from another thread ends the wait once")
    func wakeup() async throws {
        let poller = try ReadinessPoller()
        let thread = Thread { poller.wakeUp() }
        thread.start()
        var tokens: [UInt64] = []
        try poller.wait(timeoutMilliseconds: 5000) { tokens.append($0) }
        #expect(tokens == [ReadinessPoller.wakeupToken])
        tokens.removeAll()
        try poller.wait(timeoutMilliseconds: 0) { tokens.append($0) }
        #expect(tokens.isEmpty)  // drained
    }

    @Test("adding a descriptor that is not open is an error")
    func badDescriptor() throws {
        let poller = try ReadinessPoller()
        #expect(throws: DatagramIOError.self) { try poller.add(-1, token: 1) }
    }
}

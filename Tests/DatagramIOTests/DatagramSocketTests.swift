#if canImport(Glibc)
import Glibc
#endif
import DatagramIO
import STUN
import Testing

let loopback = IPAddress.v4(0x7F00_0001)

@Suite("DatagramSocket")
struct DatagramSocketTests {
    @Test("binds to the port the kernel picks and reports it")
    func bindsAnyPort() throws {
        let socket = try DatagramSocket(boundTo: STUNTransportAddress(ip: loopback, port: 0))
        #expect(socket.localAddress.ip == loopback)
        #expect(socket.localAddress.port != 0)
        #expect(socket.isOpen)
        socket.close()
        #expect(!socket.isOpen)
        socket.close()  // twice is harmless
    }

    @Test("a taken port is reported as in use, naming the address")
    func addressInUse() throws {
        let first = try DatagramSocket(boundTo: STUNTransportAddress(ip: loopback, port: 0))
        #expect {
            try DatagramSocket(boundTo: first.localAddress)
        } throws: { error in
            guard let error = error as? DatagramIOError else { return false }
            return error.isAddressInUse && error.description.contains("\(first.localAddress)")
        }
    }

    @Test("SO_REUSEPORT lets two sockets share one address")
    func reusePort() throws {
        let options = DatagramSocket.Options(reusePort: true, receiveBufferBytes: 1 << 20, sendBufferBytes: 1 << 20)
        let first = try DatagramSocket(boundTo: STUNTransportAddress(ip: loopback, port: 0), options: options)
        let second = try DatagramSocket(boundTo: first.localAddress, options: options)
        #expect(second.localAddress == first.localAddress)
    }

    @Test("an address not on this host cannot be bound")
    func foreignAddress() {
        #expect(throws: DatagramIOError.self) {
            try DatagramSocket(boundTo: STUNTransportAddress(ip: .v4(0xC000_0201), port: 0))  // 192.0.2.1, TEST-NET-1
        }
    }

    @Test("send delivers one datagram; a closed socket sends nothing")
    func sendAndReceive() throws {
        let sender = try DatagramSocket(boundTo: STUNTransportAddress(ip: loopback, port: 0))
        let receiver = try DatagramSocket(boundTo: STUNTransportAddress(ip: loopback, port: 0))
        #expect(sender.send([1, 2, 3], to: receiver.localAddress))
        let ring = DatagramReceiveRing(slotCount: 4, slotCapacity: 64)
        let slots = try receiveWaiting(ring, from: receiver)
        #expect(slots.count == 1)
        #expect(Array(ring.payload(slots.lowerBound)) == [1, 2, 3])
        #expect(ring.source(slots.lowerBound) == sender.localAddress)
        sender.close()
        #expect(!sender.send([4], to: receiver.localAddress))
    }

    @Test("IPv6 addresses convert both ways through sockaddr_in6")
    func ipv6Conversion() {
        var storage = sockaddr_storage()
        let address = STUNTransportAddress(ip: .v6(0xFD00_0213_0000_0000, 0x0000_0000_0000_0001), port: 3478)
        let length = address.write(to: &storage)
        #expect(Int(length) == MemoryLayout<sockaddr_in6>.size)
        #expect(STUNTransportAddress(&storage) == address)
        storage.ss_family = sa_family_t(AF_UNIX)
        #expect(STUNTransportAddress(&storage) == nil)
    }
}

/// Reads what `socket` has, waiting up to a second for the first datagram.
func receiveWaiting(_ ring: DatagramReceiveRing, from socket: DatagramSocket, maximum: Int = 32) throws -> Range<Int> {
    let poller = try ReadinessPoller()
    try poller.add(socket.descriptor, token: 7)
    var ready = false
    try poller.wait(timeoutMilliseconds: 1000) { token in ready = ready || token == 7 }
    guard ready else { return ring.used..<ring.used }
    poller.remove(socket.descriptor)
    return ring.receive(from: socket.descriptor, maximum: maximum)
}

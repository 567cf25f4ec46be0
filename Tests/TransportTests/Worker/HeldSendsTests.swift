import Foundation
import Testing

@testable import Transport

#if canImport(Glibc)
import Glibc
#endif

/// A plain UDP socket on 127.0.0.1 with a fixed destination, standing in for a selected pair.
private final class LoopbackSender: HeldSendSocket {
    let descriptor: Int32
    var isOpen = true
    var segmentationRefused = false
    private let remote: UnsafeMutablePointer<sockaddr_in>

    init(to port: UInt16) {
        descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        remote = .allocate(capacity: 1)
        remote.initialize(to: sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: port.bigEndian,
                                          sin_addr: in_addr(s_addr: UInt32(0x7F00_0001).bigEndian), sin_zero: (0, 0, 0, 0, 0, 0, 0, 0)))
    }

    deinit {
        close(descriptor)
        remote.deallocate()
    }

    var remoteAddress: UnsafePointer<sockaddr> { UnsafeRawPointer(remote).assumingMemoryBound(to: sockaddr.self) }
    var remoteAddressLength: socklen_t { socklen_t(MemoryLayout<sockaddr_in>.size) }
}

/// A bound UDP socket on 127.0.0.1 that collects what arrives.
private final class LoopbackReceiver {
    let descriptor: Int32
    let port: UInt16

    init() {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        descriptor = fd
        var address = sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: 0, sin_addr: in_addr(s_addr: UInt32(0x7F00_0001).bigEndian),
                                  sin_zero: (0, 0, 0, 0, 0, 0, 0, 0))
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = bind(fd, $0, length) }
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(descriptor) }

    /// Every datagram queued, until a 200 ms wait finds none.
    func drain() -> [[UInt8]] {
        var datagrams: [[UInt8]] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count < 0 { return datagrams }
            datagrams.append(Array(buffer[0..<count]))
        }
    }
}

/// A datagram of `length` bytes, each `tag`.
private func datagram(_ tag: UInt8, _ length: Int) -> [UInt8] { [UInt8](repeating: tag, count: length) }

@Suite("HeldSends")
struct HeldSendsTests {
    private func hold(_ held: HeldSends<LoopbackSender>, _ bytes: [UInt8], on socket: LoopbackSender, arrival: Int64 = 1) {
        let accepted = bytes.withUnsafeBytes { held.hold($0, on: socket, arrivalNanoseconds: arrival) }
        #expect(accepted)
    }

    @Test("datagrams held for two sockets leave grouped by socket, in order, a run of one size plus a shorter last in one send")
    func runsPerSocket() {
        let a = LoopbackReceiver(), b = LoopbackReceiver()
        let toA = LoopbackSender(to: a.port), toB = LoopbackSender(to: b.port)
        let held = HeldSends<LoopbackSender>()
        held.begin()
        #expect(held.isHolding)
        // Packet by packet, as a fan-out holds them: A1 B1 A2 B2 A3 B3.
        for (index, length) in [1200, 1200, 500].enumerated() {
            hold(held, datagram(UInt8(10 + index), length), on: toA)
            hold(held, datagram(UInt8(20 + index), length), on: toB)
        }
        #expect(held.count == 6)
        held.flush()
        #expect(!held.isHolding && held.count == 0)
        #expect(a.drain() == [datagram(10, 1200), datagram(11, 1200), datagram(12, 500)])
        #expect(b.drain() == [datagram(20, 1200), datagram(21, 1200), datagram(22, 500)])
        #expect(held.datagramsSent == 6 && held.datagramsRefused == 0)
        // Linux has had UDP_SEGMENT since 4.18, and loopback segments in software.
        #expect(held.segmentationUsable)
        #expect(held.runs == 2 && held.datagramsInRuns == 6)
        #expect(held.latency.count == 6)
    }

    @Test("a shorter datagram ends a run; a longer one after it starts the next, and order holds")
    func shorterEndsRun() {
        let a = LoopbackReceiver()
        let toA = LoopbackSender(to: a.port)
        let held = HeldSends<LoopbackSender>()
        held.begin()
        hold(held, datagram(1, 1000), on: toA)
        hold(held, datagram(2, 300), on: toA)
        hold(held, datagram(3, 1000), on: toA)
        hold(held, datagram(4, 1100), on: toA, arrival: -1)
        held.flush()
        #expect(a.drain() == [datagram(1, 1000), datagram(2, 300), datagram(3, 1000), datagram(4, 1100)])
        #expect(held.datagramsSent == 4)
        // [1000, 300] in one send; 1000 and then 1100 (longer: a new run) alone.
        #expect(held.runs == 1 && held.datagramsInRuns == 2)
        // The untimed datagram (arrival -1) is not a forwarded copy.
        #expect(held.latency.count == 3)
    }

    @Test("a full batch is sent before the next hold, and nothing is lost or reordered")
    func fullBatchSendsEarly() {
        let a = LoopbackReceiver()
        let toA = LoopbackSender(to: a.port)
        let held = HeldSends<LoopbackSender>(capacity: 4, arenaBytes: 4096)
        held.begin()
        for tag in 0..<10 { hold(held, datagram(UInt8(tag), 900), on: toA) }
        held.flush()
        #expect(a.drain() == (0..<10).map { datagram(UInt8($0), 900) })
        #expect(held.datagramsSent == 10)
        #expect(held.latency.count == 10)
    }

    @Test("datagrams for a socket closed while they were held are dropped and counted, the others still leave")
    func closedSocket() {
        let a = LoopbackReceiver(), b = LoopbackReceiver()
        let toA = LoopbackSender(to: a.port), toB = LoopbackSender(to: b.port)
        let held = HeldSends<LoopbackSender>()
        held.begin()
        hold(held, datagram(1, 800), on: toA)
        hold(held, datagram(2, 800), on: toB)
        hold(held, datagram(3, 800), on: toA)
        toA.isOpen = false
        held.flush()
        #expect(a.drain().isEmpty)
        #expect(b.drain() == [datagram(2, 800)])
        #expect(held.datagramsRefused == 2 && held.datagramsSent == 1)
        #expect(held.latency.count == 1)
    }

    @Test("a datagram larger than a run may hold is refused (the caller sends it itself)")
    func oversized() {
        let a = LoopbackReceiver()
        let toA = LoopbackSender(to: a.port)
        let held = HeldSends<LoopbackSender>()
        held.begin()
        let accepted = datagram(1, 65_100).withUnsafeBytes { held.hold($0, on: toA, arrivalNanoseconds: -1) }
        #expect(!accepted)
        held.flush()
        #expect(held.datagramsSent == 0)
    }
}

extension HeldSendsTests {
    @Test("a run is cut at the kernel's segment limit: 70 datagrams to one socket leave as 64 and 6, in order")
    func segmentLimit() {
        let a = LoopbackReceiver()
        let toA = LoopbackSender(to: a.port)
        let held = HeldSends<LoopbackSender>()
        held.begin()
        for tag in 0..<70 { hold(held, datagram(UInt8(tag), 200), on: toA) }
        held.flush()
        #expect(a.drain() == (0..<70).map { datagram(UInt8($0), 200) })
        #expect(held.runs == 2 && held.datagramsInRuns == 70)
    }

    @Test("a full arena sends what it holds; a socket's datagrams on both sides of that keep their order")
    func arenaFull() {
        let a = LoopbackReceiver(), b = LoopbackReceiver()
        let toA = LoopbackSender(to: a.port), toB = LoopbackSender(to: b.port)
        // Room for three 1200-byte datagrams (slots rounded to 16 bytes), not four.
        let held = HeldSends<LoopbackSender>(capacity: 64, arenaBytes: 3 * 1216)
        held.begin()
        for tag in 0..<4 {
            hold(held, datagram(UInt8(tag), 1200), on: tag % 2 == 0 ? toA : toB)
        }
        #expect(held.count == 1)  // the fourth, after the first three left
        hold(held, datagram(4, 1200), on: toA)
        held.flush()
        #expect(a.drain() == [datagram(0, 1200), datagram(2, 1200), datagram(4, 1200)])
        #expect(b.drain() == [datagram(1, 1200), datagram(3, 1200)])
        #expect(held.datagramsSent == 5 && held.latency.count == 5)
    }

    @Test("a socket whose segmented send was refused sends one datagram at a time; without segmentation, runs are never formed")
    func refusedSegmentation() {
        let a = LoopbackReceiver()
        let toA = LoopbackSender(to: a.port)
        toA.segmentationRefused = true
        let held = HeldSends<LoopbackSender>()
        held.begin()
        for tag in 0..<3 { hold(held, datagram(UInt8(tag), 1000), on: toA) }
        held.flush()
        #expect(a.drain() == (0..<3).map { datagram(UInt8($0), 1000) })
        #expect(held.runs == 0 && held.datagramsSent == 3)

        let b = LoopbackReceiver()
        let toB = LoopbackSender(to: b.port)
        let plain = HeldSends<LoopbackSender>(segmentation: false)
        plain.begin()
        for tag in 0..<3 { hold(plain, datagram(UInt8(tag), 1000), on: toB) }
        plain.flush()
        #expect(b.drain() == (0..<3).map { datagram(UInt8($0), 1000) })
        #expect(plain.runs == 0 && plain.datagramsSent == 3)
    }

    @Test("holding lets the sends of at most four handled datagrams wait")
    func handledDatagramsBound() {
        let a = LoopbackReceiver()
        let toA = LoopbackSender(to: a.port)
        let held = HeldSends<LoopbackSender>()
        held.begin()
        for tag in 0..<HeldSends<LoopbackSender>.maximumDatagramsHeld {
            hold(held, datagram(UInt8(tag), 500), on: toA)
            hold(held, datagram(UInt8(tag), 500), on: toA)
            held.handledOne()
        }
        #expect(held.count == 0 && held.isHolding)
        held.flush()
        #expect(a.drain().count == 2 * HeldSends<LoopbackSender>.maximumDatagramsHeld)
    }
}

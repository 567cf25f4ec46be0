#if canImport(Glibc)
import Glibc
#endif
import CDatagram
import STUN

/// Datagrams queued during one round of a worker's reads and sent together at its end: each run
/// of datagrams for one socket leaves in one sendmmsg (many relay sockets answering into one
/// listening socket is the common case). Storage is allocated once.
///
/// A queued datagram either points at bytes the caller keeps alive until `flush()` (a slot of the
/// worker's `DatagramReceiveRing`) or is copied into the queue's own arena.
public final class DatagramSendQueue {
    public let capacity: Int
    public let arenaCapacity: Int
    private let headers: MessageVector
    private let messages: UnsafeMutablePointer<cdatagram_message>
    private let vectors: UnsafeMutablePointer<iovec>
    private let addresses: UnsafeMutablePointer<sockaddr_storage>
    private let descriptors: UnsafeMutablePointer<Int32>
    private let arena: UnsafeMutableRawPointer
    private var arenaUsed = 0
    public private(set) var count = 0

    /// What a flush did: datagrams the kernel took, and those it refused (send buffer full,
    /// unreachable destination): UDP promises nothing, so they are counted as dropped.
    public struct FlushResult {
        public var sent = 0
        public var refused = 0
    }

    public init(capacity: Int = 512, arenaCapacity: Int = 1 << 20) {
        precondition(arenaCapacity >= 65_536, "the arena must hold the largest UDP datagram")
        self.capacity = capacity
        self.arenaCapacity = arenaCapacity
        headers = MessageVector(count: capacity)
        messages = headers.messages
        vectors = headers.vectors
        addresses = headers.addresses
        descriptors = .allocate(capacity: capacity)
        arena = .allocate(byteCount: arenaCapacity, alignment: 16)
    }

    deinit {
        descriptors.deallocate()
        arena.deallocate()
    }

    public var isFull: Bool { count == capacity }
    public var isEmpty: Bool { count == 0 }

    /// Queues `bytes` (not copied: they must stay valid until the next flush) for `destination`
    /// through `socket`. Flushes first when the queue is full.
    @inline(__always)
    @discardableResult
    public func enqueue(_ bytes: UnsafeRawBufferPointer, to destination: STUNTransportAddress, through socket: Int32) -> FlushResult {
        let flushed = count == capacity ? flush() : FlushResult()
        let index = count
        descriptors[index] = socket
        vectors[index] = iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress), iov_len: bytes.count)
        messages[index].header.msg_namelen = destination.write(to: addresses + index)
        count += 1
        return flushed
    }

    /// Queues a copy of `bytes`: for data whose storage does not outlive the call.
    @discardableResult
    public func enqueueCopy(_ bytes: UnsafeRawBufferPointer, to destination: STUNTransportAddress, through socket: Int32) -> FlushResult {
        var flushed = FlushResult()
        if arenaUsed + bytes.count > arenaCapacity || count == capacity { flushed = flush() }
        let target = arena + arenaUsed
        if let base = bytes.baseAddress { target.copyMemory(from: base, byteCount: bytes.count) }
        arenaUsed += (bytes.count + 15) & ~15
        let more = enqueue(UnsafeRawBufferPointer(start: target, count: bytes.count), to: destination, through: socket)
        flushed.sent += more.sent
        flushed.refused += more.refused
        return flushed
    }

    /// Sends everything queued, one sendmmsg per run of datagrams for the same socket.
    @discardableResult
    public func flush() -> FlushResult {
        var result = FlushResult()
        var start = 0
        while start < count {
            let socket = descriptors[start]
            var end = start + 1
            while end < count, descriptors[end] == socket { end += 1 }
            while start < end {
                let sent = cdatagram_send(socket, messages + start, UInt32(end - start))
                if sent > 0 {
                    result.sent += Int(sent)
                    start += Int(sent)
                } else if errno == EAGAIN || errno == EWOULDBLOCK || sent == 0 {
                    // The socket's send buffer is full: the rest of this run is dropped, as a
                    // router would drop it; waiting would stall every other socket.
                    result.refused += end - start
                    start = end
                } else {
                    // This one datagram was refused (no route, a peer's ICMP error): skip it.
                    result.refused += 1
                    start += 1
                }
            }
        }
        count = 0
        arenaUsed = 0
        return result
    }
}

#if canImport(Glibc)
import Glibc
#endif
import CDatagram
import STUN

/// Receive buffers for a worker's batched reads (recvmmsg): a fixed set of slots, allocated once.
/// Datagrams stay in their slot until `reset()`, so sends queued from them (a relayed payload is
/// sent from where it was received) stay valid until the send queue is flushed; the worker
/// flushes, then resets.
///
/// Each slot keeps `headroom` bytes in front of the payload, so a relay can prefix a header (a
/// ChannelData header, RFC 8656 12.4) in place instead of copying the payload.
public final class DatagramReceiveRing {
    public let slotCount: Int
    /// The largest datagram a slot takes; a longer one is reported truncated.
    public let slotCapacity: Int
    public static let headroom = 16
    private let stride: Int
    private let buffers: UnsafeMutableRawPointer
    private let headers: MessageVector
    private let messages: UnsafeMutablePointer<cdatagram_message>
    private let vectors: UnsafeMutablePointer<iovec>
    private let addresses: UnsafeMutablePointer<sockaddr_storage>
    /// Slots [0, used) hold datagrams.
    public private(set) var used = 0

    public init(slotCount: Int = 256, slotCapacity: Int = 9216) {
        self.slotCount = slotCount
        self.slotCapacity = slotCapacity
        stride = (Self.headroom + slotCapacity + 63) & ~63
        buffers = .allocate(byteCount: stride * slotCount, alignment: 64)
        headers = MessageVector(count: slotCount)
        messages = headers.messages
        vectors = headers.vectors
        addresses = headers.addresses
        for slot in 0..<slotCount {
            vectors[slot] = iovec(iov_base: buffers + slot * stride + Self.headroom, iov_len: slotCapacity)
        }
    }

    deinit { buffers.deallocate() }

    public var free: Int { slotCount - used }

    /// Reads up to `maximum` datagrams from `descriptor` into the next free slots, without
    /// blocking. The slots read, empty when none was waiting (or the read failed: an unconnected
    /// UDP socket has nothing to report, so the caller just moves on).
    @inline(__always)
    public func receive(from descriptor: Int32, maximum: Int) -> Range<Int> {
        let count = min(maximum, free)
        guard count > 0 else { return used..<used }
        for slot in used..<(used + count) {
            messages[slot].header.msg_namelen = socklen_t(MemoryLayout<sockaddr_storage>.size)
            messages[slot].header.msg_flags = 0
            vectors[slot].iov_len = slotCapacity
        }
        let received = cdatagram_receive(descriptor, messages + used, UInt32(count))
        guard received > 0 else { return used..<used }
        let range = used..<(used + Int(received))
        used += Int(received)
        return range
    }

    /// The payload of `slot`, writable (the relay rewrites nothing in it, but may prefix a header).
    @inline(__always)
    public func payload(_ slot: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: buffers + slot * stride + Self.headroom, count: Int(messages[slot].length))
    }

    /// The datagram did not fit its slot (MSG_TRUNC): its payload is incomplete.
    @inline(__always)
    public func isTruncated(_ slot: Int) -> Bool { messages[slot].header.msg_flags & Int32(MSG_TRUNC) != 0 }

    @inline(__always)
    public func source(_ slot: Int) -> STUNTransportAddress? { STUNTransportAddress(addresses + slot) }

    /// Every slot free again: only after the sends that point into them were flushed.
    @inline(__always)
    public func reset() { used = 0 }
}

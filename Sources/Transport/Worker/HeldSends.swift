import CDatagram
#if canImport(Glibc)
import Glibc
#endif

/// A UDP socket with one fixed destination that `HeldSends` can send on: an ICE agent's selected
/// pair (SelectedPairSocket), or a plain socket in tests.
protocol HeldSendSocket: AnyObject {
    var descriptor: Int32 { get }
    /// False once the socket's owner closed it: held datagrams for it are dropped, not sent to
    /// a descriptor number that may have been reused.
    var isOpen: Bool { get }
    /// The destination, valid while the socket lives.
    var remoteAddress: UnsafePointer<sockaddr> { get }
    var remoteAddressLength: socklen_t { get }
    /// Set when the kernel refused a segmented send on this socket (a route whose MTU is below
    /// a segment, a device path without segmentation): its runs go out one datagram at a time.
    var segmentationRefused: Bool { get set }
}

/// The datagrams a worker sends while it handles one read of a media socket, held back and sent
/// together at its end, grouped by destination socket: a run of datagrams to one subscriber (a
/// publisher's pacer releases two or three packets at once, each fanned out to every subscriber)
/// leaves in one `sendmsg` with UDP generic segmentation offload (`UDP_SEGMENT`): one pass through
/// the stack for the run instead of one per datagram (docs/benchmarks.md: 22 % less CPU a
/// datagram for two, 39 % for three, on this machine's loopback).
///
/// GSO cuts the joined payload into segments of the first datagram's size, the last one possibly
/// shorter; so a run is datagrams of one size with at most one shorter datagram at its end, at
/// most `maximumSegments` of them (the kernel's UDP_MAX_SEGMENTS is 64 or more) and 64 KiB in all.
/// Datagrams to one socket leave in the order they were held; across sockets, subscriber by
/// subscriber instead of packet by packet.
///
/// Storage is allocated once: `capacity` datagrams in an arena of `arenaBytes` (and a table by
/// descriptor number, grown when a higher number than any before appears); a hold that finds it
/// full sends what is held first. A held datagram's socket is retained until it is sent.
///
/// Whether the kernel knows UDP_SEGMENT is asked once (`getsockopt`, ENOPROTOOPT before Linux
/// 4.18): an older kernel would not refuse the control message, it would skip it and send the
/// run as one datagram. Where a segmented send fails on a socket (EINVAL: a segment over the
/// route's MTU; EIO: no segmentation on that path), the run goes out one datagram at a time and
/// that socket is not asked again. Used on its worker's thread only.
final class HeldSends<Socket: HeldSendSocket> {
    static var maximumSegments: Int { 64 }
    static var maximumRunBytes: Int { 65_000 }

    let capacity: Int
    let arenaBytes: Int
    private let arena: UnsafeMutableRawPointer
    @exclusivity(unchecked) private var arenaUsed = 0
    private let sockets: UnsafeMutablePointer<Socket?>
    private let offsets: UnsafeMutablePointer<Int32>
    private let lengths: UnsafeMutablePointer<Int32>
    /// The forwarded packet's arrival (monotonic ns) for a timed datagram, else -1.
    private let arrivals: UnsafeMutablePointer<Int64>
    /// The next held datagram for the same socket (-1: none), and whether one was sent already.
    private let next: UnsafeMutablePointer<Int32>
    private let sent: UnsafeMutablePointer<Bool>
    /// Per descriptor number, the last held datagram for it in this batch (stamped with the
    /// batch, so it never needs clearing).
    @exclusivity(unchecked) private var lastByDescriptor: [(batch: UInt32, index: Int32)] = []
    @exclusivity(unchecked) private var batch: UInt32 = 1
    private let vectors: UnsafeMutablePointer<iovec>
    private let run: UnsafeMutablePointer<Int32>
    @exclusivity(unchecked) private(set) var count = 0
    /// Set between `begin` and `flush`: sends on a direct socket are held.
    @exclusivity(unchecked) private(set) var isHolding = false
    /// Whether the kernel takes UDP_SEGMENT.
    let segmentationUsable: Bool
    /// Forwarding latency of the timed datagrams sent from here (merged into the worker's).
    @exclusivity(unchecked) private(set) var latency = LatencyHistogram()

    /// Datagrams sent from here, those of them that left in runs of two or more (one sendmsg
    /// each), the runs, and datagrams dropped (the kernel refused them: a full send buffer; or
    /// their socket was closed while they were held).
    @exclusivity(unchecked) private(set) var datagramsSent = 0
    @exclusivity(unchecked) private(set) var datagramsInRuns = 0
    @exclusivity(unchecked) private(set) var runs = 0
    @exclusivity(unchecked) private(set) var datagramsRefused = 0

    init(capacity: Int = 1024, arenaBytes: Int = 1 << 20, segmentation: Bool = cdatagram_segmentation_supported() != 0) {
        precondition(capacity > 0 && arenaBytes >= 2048)
        segmentationUsable = segmentation
        self.capacity = capacity
        self.arenaBytes = arenaBytes
        arena = .allocate(byteCount: arenaBytes, alignment: 16)
        sockets = .allocate(capacity: capacity)
        sockets.initialize(repeating: nil, count: capacity)
        offsets = .allocate(capacity: capacity)
        lengths = .allocate(capacity: capacity)
        arrivals = .allocate(capacity: capacity)
        next = .allocate(capacity: capacity)
        sent = .allocate(capacity: capacity)
        vectors = .allocate(capacity: Self.maximumSegments)
        run = .allocate(capacity: Self.maximumSegments)
        lastByDescriptor.reserveCapacity(1024)
    }

    deinit {
        sockets.deinitialize(count: capacity)
        sockets.deallocate()
        arena.deallocate()
        offsets.deallocate()
        lengths.deallocate()
        arrivals.deallocate()
        next.deallocate()
        sent.deallocate()
        vectors.deallocate()
        run.deallocate()
    }

    /// Sends on direct sockets are held from now until `flush`.
    func begin() {
        isHolding = true
        datagramsHandled = 0
    }

    /// How many received datagrams' sends are held at most before they leave: a pacer releases
    /// two or three packets at once, and holding a whole backlog (a read takes up to 32) would
    /// keep the first packet's copies waiting for the handling of all the others.
    static var maximumDatagramsHeld: Int { 4 }
    @exclusivity(unchecked) private var datagramsHandled = 0

    /// One received datagram was handled while holding: every `maximumDatagramsHeld`, what is
    /// held leaves.
    @inline(__always)
    func handledOne() {
        datagramsHandled += 1
        if datagramsHandled >= Self.maximumDatagramsHeld {
            send()
            datagramsHandled = 0
        }
    }

    /// Holds a copy of `datagram` for `socket`; `arrivalNanoseconds` >= 0 makes it a forwarded
    /// copy whose forwarding latency is recorded (`latency`) when it leaves. Sends what is held
    /// first when there is no room. False when the datagram cannot be held (larger than a run):
    /// send what is held, then it.
    @inline(__always)
    func hold(_ datagram: UnsafeRawBufferPointer, on socket: Socket, arrivalNanoseconds: Int64) -> Bool {
        let length = datagram.count
        guard length > 0, length <= Self.maximumRunBytes, length <= arenaBytes else { return false }
        if count == capacity || arenaUsed + length > arenaBytes { send() }
        let index = count
        arena.advanced(by: arenaUsed).copyMemory(from: datagram.baseAddress!, byteCount: length)
        sockets[index] = socket
        offsets[index] = Int32(arenaUsed)
        lengths[index] = Int32(length)
        arrivals[index] = arrivalNanoseconds
        next[index] = -1
        sent[index] = false
        arenaUsed += (length + 15) & ~15
        count += 1
        // Chain it to the socket's previous datagram in this batch.
        let descriptor = Int(socket.descriptor)
        if descriptor >= 0 {
            if descriptor >= lastByDescriptor.count {
                lastByDescriptor.append(contentsOf: repeatElement((batch: UInt32(0), index: Int32(-1)), count: descriptor + 1 - lastByDescriptor.count))
            }
            let last = lastByDescriptor[descriptor]
            if last.batch == batch, last.index >= 0, sockets[Int(last.index)] === socket {
                next[Int(last.index)] = Int32(index)
            }
            lastByDescriptor[descriptor] = (batch, Int32(index))
        }
        return true
    }

    /// Sends everything held and stops holding.
    func flush() {
        send()
        isHolding = false
    }

    /// Sends everything held, socket by socket in the order of each socket's first datagram.
    func send() {
        guard count > 0 else { return }
        for first in 0..<count where !sent[first] {
            var index = Int32(first)
            while index >= 0 {
                index = sendRun(from: Int(index))
            }
        }
        for index in 0..<count { sockets[index] = nil }
        count = 0
        arenaUsed = 0
        batch &+= 1
        if batch == 0 { batch = 1 }
    }

    /// Sends the run of datagrams that starts at `first` (following the socket's chain) and
    /// returns where the socket's next run starts, or -1.
    private func sendRun(from first: Int) -> Int32 {
        let socket = sockets[first]!
        let segment = lengths[first]
        let segments = segmentationUsable && !socket.segmentationRefused
        var runCount = 0
        var total = 0
        var index = Int32(first)
        while index >= 0, runCount < Self.maximumSegments {
            let length = lengths[Int(index)]
            // Segments of one size; one shorter one may end the run.
            if runCount > 0 {
                if !segments || length > segment || total + Int(length) > Self.maximumRunBytes { break }
                if lengths[Int(run[runCount - 1])] < segment { break }
            }
            run[runCount] = index
            vectors[runCount] = iovec(iov_base: arena.advanced(by: Int(offsets[Int(index)])), iov_len: Int(length))
            runCount += 1
            total += Int(length)
            index = next[Int(index)]
        }
        for k in 0..<runCount { sent[Int(run[k])] = true }
        guard socket.isOpen else {
            datagramsRefused += runCount
            return index
        }
        var leftOneByOne = runCount == 1
        if runCount > 1 {
            let result = cdatagram_send_segments(socket.descriptor, vectors, Int32(runCount), socket.remoteAddress,
                                                 socket.remoteAddressLength, UInt16(segment))
            // UDP sends all or nothing: the length, or -1.
            if result >= 0 {
                datagramsSent += runCount
                datagramsInRuns += runCount
                runs += 1
                record(0..<runCount)
            } else if errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS {
                datagramsRefused += runCount
            } else {
                // EINVAL (a segment over this route's MTU), EIO (no segmentation on this path):
                // this socket's runs go one datagram at a time from now on.
                socket.segmentationRefused = true
                leftOneByOne = true
            }
        }
        if leftOneByOne {
            for k in 0..<runCount {
                let result = cdatagram_send_segments(socket.descriptor, vectors.advanced(by: k), 1, socket.remoteAddress,
                                                     socket.remoteAddressLength, 0)
                if result >= 0 {
                    datagramsSent += 1
                    record(k..<k + 1)
                } else {
                    datagramsRefused += 1
                }
            }
        }
        return index
    }

    /// Records the forwarding latency of the timed datagrams at `positions` of the run just sent.
    @inline(__always)
    private func record(_ positions: Range<Int>) {
        var now: Int64 = -1  // read once, and only for a timed datagram
        for k in positions {
            let arrival = arrivals[Int(run[k])]
            guard arrival >= 0 else { continue }
            if now < 0 { now = MediaWorker.monotonicNanoseconds() }
            latency.record(nanoseconds: now - arrival)
        }
    }
}

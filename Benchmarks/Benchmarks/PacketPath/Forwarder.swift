import RTP
import Transport

/// The SFU's work for one forwarded RTP packet, call for call as `PeerTransport` does it
/// (`receive` → `receiveSRTP` → `onRTP` → `sendRTP`), without libnice on either side:
///
/// 1. copy the datagram into the worker's packet buffer (2048 bytes, as `MediaWorker`'s),
/// 2. `PacketDemultiplexer.classify` (RFC 7983),
/// 3. `SRTPSession.unprotectRTP` in place with the publisher's inbound session,
/// 4. the `onRTP` closure (stored, `[unowned self]`, as the transport's), which parses with
///    `RTPRewriter`, sets SSRC, sequence number, timestamp and payload type for the subscriber,
///    looks up the transport-wide sequence number extension and restamps it for this hop,
/// 5. `SRTPSession.protectRTP` in place with the subscriber's outbound session,
/// 6. the forwarding latency: the arrival stamp taken in step 1 and a second clock read after
///    the send, recorded into a `LatencyHistogram` (`MediaWorker.arrivalNanoseconds`,
///    `TrackForwarder.forward`).
///
/// `PeerTransport` itself needs a live ICE agent and DTLS handshake; these are its own public
/// building blocks composed the same way, so that what it costs and allocates per packet can be
/// measured on its own. Without a profile the two SRTP calls are left out (the packets are plain
/// RTP), which measures the SFU's own code on that path apart from libsrtp2.
final class Forwarder {
    let inbound: SRTPSession?
    let outbound: SRTPSession?
    let workerBuffer: UnsafeMutableRawBufferPointer

    /// What the subscriber sees: its SSRC, payload type and the offsets that make its sequence
    /// numbers and timestamps continue across publisher switches.
    let subscriberSSRC: UInt32 = 0xCAFE_F00D
    let subscriberPayloadType: UInt8 = 100
    let sequenceNumberOffset: UInt16 = 1000
    let timestampOffset: UInt32 = 123_456
    private var transportSequenceNumber: UInt16 = 0

    /// Counters, as `TransportStats`: plain integers on the worker thread.
    private(set) var forwarded = 0
    private(set) var failures = 0
    /// The protected length of the last packet forwarded, i.e. what would be handed to libnice.
    private(set) var lastSentLength = 0
    private var arrivalNanoseconds: Int64 = 0
    private(set) var latency = LatencyHistogram()

    /// The route for each decrypted packet, stored like `PeerTransport.onRTP`.
    var onRTP: (_ buffer: UnsafeMutableRawBufferPointer, _ length: Int) -> Void = { _, _ in }

    init(profile: SRTPProfile?) throws(SRTPError) {
        if let profile {
            inbound = try SRTPSession(profile: profile, keyAndSalt: TestKeys.publisher(profile), direction: .inbound)
            outbound = try SRTPSession(profile: profile, keyAndSalt: TestKeys.subscriber(profile), direction: .outbound)
        } else {
            inbound = nil
            outbound = nil
        }
        workerBuffer = .allocate(byteCount: 2048, alignment: 16)
        workerBuffer.initializeMemory(as: UInt8.self, repeating: 0)
        onRTP = { [unowned self] buffer, length in route(buffer, length) }
    }

    deinit { workerBuffer.deallocate() }

    /// `PeerTransport.receive` and `receiveSRTP` for an RTP datagram.
    @inline(__always)
    func receive(_ datagram: UnsafeRawBufferPointer) {
        arrivalNanoseconds = MediaWorker.monotonicNanoseconds()
        switch PacketDemultiplexer.classify(datagram) {
        case .rtp:
            break
        default:
            failures += 1
            return
        }
        let buffer = workerBuffer
        guard datagram.count >= 12, datagram.count <= buffer.count - SRTPSession.maximumTrailer else {
            failures += 1
            return
        }
        buffer.baseAddress!.copyMemory(from: datagram.baseAddress!, byteCount: datagram.count)
        guard let inbound else {
            onRTP(buffer, datagram.count)
            return
        }
        do {
            let length = try inbound.unprotectRTP(buffer, length: datagram.count)
            onRTP(buffer, length)
        } catch {
            failures += 1
        }
    }

    /// What a router does with one packet for one subscriber, then `PeerTransport.sendRTP`.
    @inline(__always)
    private func route(_ buffer: UnsafeMutableRawBufferPointer, _ length: Int) {
        // Two do blocks: one typed error each, so no error is boxed as `any Error`.
        do {
            let rewriter = try RTPRewriter(UnsafeMutableRawBufferPointer(rebasing: buffer[0..<length]))
            let packet = rewriter.packet
            rewriter.setSSRC(subscriberSSRC)
            rewriter.setSequenceNumber(packet.sequenceNumber &+ sequenceNumberOffset)
            rewriter.setTimestamp(packet.timestamp &+ timestampOffset)
            rewriter.setPayloadType(subscriberPayloadType)
            if let value = rewriter.extensionValue(id: VideoPacket.transportSequenceNumberID) {
                transportSequenceNumber &+= 1
                TransportSequenceNumberExtension.write(transportSequenceNumber, into: value)
            }
        } catch {
            failures += 1
            return
        }
        guard let outbound else {
            lastSentLength = length
            sent()
            return
        }
        do {
            lastSentLength = try outbound.protectRTP(buffer, length: length)
            sent()
        } catch {
            failures += 1
        }
    }

    @inline(__always)
    private func sent() {
        forwarded += 1
        latency.record(nanoseconds: MediaWorker.monotonicNanoseconds() - arrivalNanoseconds)
    }
}

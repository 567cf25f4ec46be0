import RTP
import SDP
import SFU
import Transport

/// The SFU's work for one forwarded RTP packet, call for call as `PeerTransport`,
/// `PublisherConnection` and `TrackForwarder` do it (`receive` → `receiveSRTP` → `onRTP` →
/// `receiveRTP` → `forward` → `sendRTP`), without libnice on either side:
///
/// 1. copy the datagram into the worker's packet buffer (2048 bytes, as `MediaWorker`'s),
/// 2. `PacketDemultiplexer.classify` (RFC 7983),
/// 3. `SRTPSession.unprotectRTP` in place with the publisher's inbound session,
/// 4. the `onRTP` closure (stored, `[unowned self]`, as the transport's): `RTPPacket` parse,
///    `VideoKeyframe.start` and the frame's temporal layer (`ScalableFrame(vp8:)`), as
///    `PublisherConnection.receiveRTP` does,
/// 5. the forwarder's two values, the SFU's own code (`import SFU`), not a copy of it:
///    `LayerSwitch.admit` (a subscriber on the top layer of three) and `ForwardedStream.rewrite`
///    into the worker's forward buffer (SSRC, payload type, sequence number, timestamp,
///    extension ids mapped, transport-wide number restamped, VP8 picture id and TL0PICIDX, the
///    temporal-layer decision and the sequence and picture renumbering it keeps),
/// 6. `SRTPSession.protectRTP` in place with the subscriber's outbound session,
/// 7. the forwarding latency: the arrival stamp taken in step 1 and a second clock read after
///    the send, recorded into a `LatencyHistogram` (`MediaWorker.arrivalNanoseconds`).
///
/// `PeerTransport` and `TrackForwarder` themselves need a live ICE agent and DTLS handshake;
/// these are their building blocks composed the same way, so that what they cost and allocate
/// per packet can be measured on their own. Without a profile the two SRTP calls are left out
/// (the packets are plain RTP), which measures the SFU's own code on that path apart from
/// libsrtp2.
final class Forwarder {
    let inbound: SRTPSession?
    let outbound: SRTPSession?
    let workerBuffer: UnsafeMutableRawBufferPointer
    /// `MediaWorker.forwardBuffer`: each subscriber's copy is rewritten and protected here.
    let forwardBuffer: UnsafeMutableRawBufferPointer

    /// What the subscriber sees: its SSRC, payload type, extension ids and numbering.
    var subscriberSSRC: UInt32 { stream.ssrc }
    var subscriberPayloadType: UInt8 { stream.payloadType }
    /// The subscriber negotiated the transport-wide sequence number under another id.
    static let subscriberTransportWideID: UInt8 = 5
    private(set) var stream: ForwardedStream
    private var layers = LayerSwitch(layerCount: 3)
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
        forwardBuffer = .allocate(byteCount: 2048, alignment: 16)
        forwardBuffer.initializeMemory(as: UInt8.self, repeating: 0)
        stream = Self.subscriberStream()
        // The subscriber is on the top layer (2) of three, switched to at its keyframe.
        layers.setTarget(2)
        precondition(layers.admit(layer: 2, keyframe: true))
        onRTP = { [unowned self] buffer, length in route(buffer, length) }
    }

    /// A subscriber's numbering of the benchmark's VP8 track: its SSRC and payload type,
    /// abs-send-time and transport-wide sequence numbers negotiated, the mid not.
    static func subscriberStream() -> ForwardedStream {
        var stream = ForwardedStream(ssrc: 0xCAFE_F00D, codec: .vp8, clockRate: 90_000)
        stream.configure(payloadType: 100, publisherExtensions: [
            VideoPacket.absoluteSendTimeID: "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
            VideoPacket.transportSequenceNumberID: HeaderExtensionURI.transportWideCC,
            VideoPacket.midID: "urn:ietf:params:rtp-hdrext:sdes:mid",
        ], subscriberExtensions: [
            "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time": VideoPacket.absoluteSendTimeID,
            HeaderExtensionURI.transportWideCC: subscriberTransportWideID,
        ])
        return stream
    }

    deinit {
        workerBuffer.deallocate()
        forwardBuffer.deallocate()
    }

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

    /// What `PublisherConnection.receiveRTP` and `TrackForwarder.forward` do with one packet
    /// for one subscriber, then `PeerTransport.sendRTP`.
    @inline(__always)
    private func route(_ buffer: UnsafeMutableRawBufferPointer, _ length: Int) {
        let packet: RTPPacket
        do {
            packet = try RTPPacket(UnsafeRawBufferPointer(rebasing: buffer[0..<length]))
        } catch {
            failures += 1
            return
        }
        let keyframe = VideoKeyframe.start(in: packet.payload, codec: .vp8) != nil
        let frame = VP8PayloadDescriptor(packet.payload).flatMap(ScalableFrame.init(vp8:))
        guard layers.admit(layer: 2, keyframe: keyframe),
            length + SRTPSession.maximumTrailer <= forwardBuffer.count
        else {
            failures += 1
            return
        }
        transportSequenceNumber &+= 1
        guard let rewritten = stream.rewrite(packet, frame: frame, into: forwardBuffer, transportWide: transportSequenceNumber,
                                             nowMicroseconds: arrivalNanoseconds / 1000),
            rewritten.stampedTransportWide
        else {
            failures += 1
            return
        }
        guard let outbound else {
            lastSentLength = length
            sent()
            return
        }
        do {
            lastSentLength = try outbound.protectRTP(forwardBuffer, length: length)
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

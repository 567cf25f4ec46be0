import Foundation
import RTP
import SDP
@testable import SFU
import Transport

/// A participant for in-process SFU tests, built on the project's own transport and SDP code:
/// publishes with an offer (OfferBuilder), answers subscriber offers (makeAnswer), and records
/// what arrives. The interop tests do the same with aiortc and Chromium through signaling.
final class TestParticipant: @unchecked Sendable {
    let service: SFURoomService
    let worker: MediaWorker
    let context: DTLSContext
    let ice: ICEConfiguration
    private let lock = NSLock()
    private var _events: [RoomEvent] = []
    private var _publisherRTCP: [[UInt8]] = []
    private var _subscriberRTCP: [[UInt8]] = []
    /// RTCP compounds the SFU sent to our publisher / subscriber connection.
    var publisherRTCP: [[UInt8]] { lock.withLock { _publisherRTCP } }
    var subscriberRTCP: [[UInt8]] { lock.withLock { _subscriberRTCP } }
    private var _received: [(ssrc: UInt32, payloadType: UInt8, sequence: UInt16, payload: [UInt8])] = []
    /// The transport-wide number of each packet received as a subscriber, when it had one.
    private var _receivedTransportWide: [UInt16] = []
    /// The id the SFU's offers give transport-cc's extension.
    private var subscriberTransportWideID: UInt8 = 0
    var receivedTransportWide: [UInt16] { lock.withLock { _receivedTransportWide } }
    private(set) var joined: JoinResult? {
        didSet { lock.withLock { joinedID = joined?.participantID } }
    }
    private var joinedID: String?
    var publisher: WorkerBound<PeerTransport>?
    var subscriber: WorkerBound<PeerTransport>?
    private var subscriberStarted = false
    private var subscriberAnswerState: (credentials: ICECredentials, fingerprint: Fingerprint, candidates: [String], remoteUfrag: String)?
    private var _subscriberRestarts = 0
    /// What our subscriber connection's answers accept (RTX off: NACKs are answered in kind).
    var subscriberCapabilities = CodecCapabilities.default
    /// The transport-wide sequence number extension id the SFU answered with, if any.
    private(set) var publisherTransportWideID: UInt8?
    /// The audio level extension id (RFC 6464) the SFU answered with, if any.
    private(set) var publisherAudioLevelID: UInt8?
    /// The RTX payload type of the published video, if negotiated.
    private(set) var publisherRTXPayloadType: UInt8?
    /// The redundant audio (RFC 2198) payload type of the published audio, if negotiated.
    private(set) var publisherREDPayloadType: UInt8?
    /// ICE restarts the SFU made on our subscriber connection (seen as a new ufrag in its offer).
    var subscriberRestarts: Int { lock.withLock { _subscriberRestarts } }
    private var pendingSubscriberCandidates: [String] = []

    init(service: SFURoomService, worker: MediaWorker, context: DTLSContext, ice: ICEConfiguration) {
        self.service = service
        self.worker = worker
        self.context = context
        self.ice = ice
    }

    var events: [RoomEvent] { lock.withLock { _events } }
    var received: [(ssrc: UInt32, payloadType: UInt8, sequence: UInt16, payload: [UInt8])] { lock.withLock { _received } }

    func join(room: String, identity: String, grants: Grants = Grants()) async throws {
        joined = try await service.join(JoinRequest(room: room, identity: identity, grants: grants)) { [weak self] event in
            self?.handle(event)
        }
    }

    private func handle(_ event: RoomEvent) {
        lock.withLock { _events.append(event) }
        switch event {
        case .subscriberOffer(let sdp, let version, _):
            Task { try? await self.answerSubscriberOffer(sdp, version: version) }
        case .candidate(.publisher, let candidate?):
            if let publisher { worker.post { _ = try? publisher.value.addRemoteCandidate(candidate) } }
        case .candidate(.subscriber, let candidate?):
            lock.withLock { pendingSubscriberCandidates.append(candidate) }
            flushSubscriberCandidates()
        default:
            break
        }
    }

    private func flushSubscriberCandidates() {
        guard let subscriber, lock.withLock({ subscriberStarted }) else { return }
        let candidates = lock.withLock { () -> [String] in
            defer { pendingSubscriberCandidates = [] }
            return pendingSubscriberCandidates
        }
        worker.post { for c in candidates { _ = try? subscriber.value.addRemoteCandidate(c) } }
    }

    /// Publishes one audio track (Opus) with `ssrc`; returns the payload type the SFU accepted.
    func publishAudio(ssrc: UInt32) async throws -> UInt8 {
        try await publish(kind: .audio, ssrc: ssrc)
    }

    /// Publishes one track of `kind` (Opus, or VP8 with RTX and NACK/PLI feedback).
    func publish(kind: MediaKind, ssrc: UInt32, rtxSSRC: UInt32? = nil) async throws -> UInt8 {
        let (transport, credentials, fingerprint, candidates) = try worker.sync { [context, ice, worker] in
            let transport = try PeerTransport(worker: worker, dtlsContext: context, ice: ice, iceControlling: true)
            var gathered: [String] = []
            // libnice reports host candidates while gathering starts, inside this call.
            transport.onEvent = { if case .localCandidate(let c) = $0 { gathered.append(c) } }
            let recorder = self
            transport.onRTCP = { buffer, length in
                let bytes = Array(UnsafeRawBufferPointer(rebasing: buffer[0..<length]))
                recorder.lock.withLock { recorder._publisherRTCP.append(bytes) }
            }
            try transport.startGathering()
            return (WorkerBound(transport, worker: worker), transport.localICECredentials, transport.localFingerprint, gathered)
        }
        publisher = transport
        var builder = OfferBuilder(options: .init(
            iceCredentials: ICECredentials(ufrag: credentials.ufrag, pwd: credentials.password), fingerprint: fingerprint,
            candidates: candidates.map { String($0.dropFirst("candidate:".count)) }, gatheringComplete: true, sessionID: 42))
        builder.addTrack(.init(kind: kind, local: LocalTrack(ssrc: ssrc, rtxSSRC: rtxSSRC, cname: "test", streamID: "s", trackID: "t"),
                               codecs: kind == .audio ? [.opus] : [.vp8]))
        let offer = try builder.createOffer()
        let result = try await service.publish(participantID: joined!.participantID, connection: joined!.connection, offer: offer.text)
        let session = try builder.applyAnswer(try SessionDescription(parsing: result.answer))
        publisherTransportWideID = session.media[0].headerExtensions[HeaderExtensionURI.transportWideCC]
        // The codec, not its redundancy, which the SFU's answer lists first.
        let codec = session.media[0].codecs.first { !$0.isRED } ?? session.media[0].codecs[0]
        publisherRTXPayloadType = codec.rtxPayloadType
        publisherREDPayloadType = session.media[0].codecs.first(where: \.isRED)?.payloadType
        publisherAudioLevelID = session.media[0].headerExtensions[HeaderExtensionURI.audioLevel]
        try worker.sync {
            try transport.value.start(remote: .init(
                iceUfrag: session.remoteICE.ufrag, icePassword: session.remoteICE.pwd, fingerprint: session.remoteFingerprints[0],
                dtlsRole: session.isDTLSClient ? .client : .server,
                candidates: session.remoteCandidates.map(\.sdpFragment), candidatesComplete: session.remoteEndOfCandidates))
        }
        return codec.payloadType
    }

    /// Sends `count` RTP packets on the published track, 20 ms of Opus-sized payload each.
    /// With `level`, each carries that RFC 6464 audio level (0 loudest, 127 silence).
    func sendAudio(count: Int, ssrc: UInt32, payloadType: UInt8, firstSequence: UInt16 = 100, level: UInt8? = nil) throws {
        var stamp: (@Sendable (Int) -> UInt8)?
        if let level { stamp = { _ in level } }
        try sendMedia(count: count, ssrc: ssrc, payloadType: payloadType, firstSequence: firstSequence, audioLevel: stamp)
    }

    /// Sends `count` RTP packets of 80 payload bytes, consecutive sequence numbers; with
    /// `transportWide`, each carries the transport-wide sequence number it returns for packet i
    /// (nil: that packet is not sent, as if lost on the way).
    /// With `payload`, packet i carries that payload and the marker bit (one frame a packet),
    /// its timestamp 3000 ticks (a 30 fps frame at 90 kHz) a sequence number.
    func sendMedia(count: Int, ssrc: UInt32, payloadType: UInt8, firstSequence: UInt16 = 100, skipping: Set<Int> = [],
                   transportWide: (@Sendable (Int) -> UInt16?)? = nil, payload: (@Sendable (Int) -> [UInt8])? = nil,
                   audioLevel: (@Sendable (Int) -> UInt8)? = nil) throws {
        guard let publisher else { return }
        let extensionID = publisherTransportWideID ?? 0
        let levelID = publisherAudioLevelID ?? 0
        try worker.sync {
            let transport = publisher.value
            let buffer = transport.worker.forwardBuffer
            for i in 0..<count where !skipping.contains(i) {
                let sequence = firstSequence &+ UInt16(i)
                let timestamp = payload == nil ? UInt32(i) * 960 : UInt32(sequence) &* 3000
                let header: [UInt8] = [0x80, payloadType | (payload == nil ? 0 : 0x80), UInt8(sequence >> 8), UInt8(sequence & 0xFF),
                                       UInt8(timestamp >> 24), UInt8((timestamp >> 16) & 0xFF), UInt8((timestamp >> 8) & 0xFF), UInt8(timestamp & 0xFF),
                                       UInt8(ssrc >> 24), UInt8((ssrc >> 16) & 0xFF), UInt8((ssrc >> 8) & 0xFF), UInt8(ssrc & 0xFF)]
                for (j, byte) in header.enumerated() { buffer[j] = byte }
                var headerLength = 12
                // One-byte-form elements (RFC 8285 4.2): id/length, then the value.
                var elements: [UInt8] = []
                if let transportWide {
                    guard let number = transportWide(i) else { continue }
                    elements += [extensionID << 4 | 1, UInt8(number >> 8), UInt8(number & 0xFF)]
                }
                if let audioLevel { elements += [levelID << 4, audioLevel(i) & 0x7f] }
                if !elements.isEmpty {
                    // X bit; the block padded to whole words.
                    buffer[0] |= 0x10
                    while elements.count % 4 != 0 { elements.append(0) }
                    let block: [UInt8] = [0xBE, 0xDE, 0x00, UInt8(elements.count / 4)] + elements
                    for (j, byte) in block.enumerated() { buffer[12 + j] = byte }
                    headerLength += block.count
                }
                let body = payload?(i) ?? Self.mediaPayload(i)
                for (j, byte) in body.enumerated() { buffer[headerLength + j] = byte }
                transport.sendRTP(buffer, length: headerLength + body.count)
            }
        }
    }

    /// The payload `sendMedia` gives packet `i`.
    static func mediaPayload(_ i: Int) -> [UInt8] { (0..<80).map { UInt8(truncatingIfNeeded: i &+ $0) } }

    /// Sends packet `index` of a `sendMedia` stream again as RTX (RFC 4588): its own SSRC,
    /// payload type and sequence number, the original sequence number before the payload.
    func sendRTX(ssrc: UInt32, payloadType: UInt8, sequence: UInt16, index: Int, firstSequence: UInt16 = 100) throws {
        guard let publisher else { return }
        try worker.sync {
            let transport = publisher.value
            let buffer = transport.worker.forwardBuffer
            let original = firstSequence &+ UInt16(index)
            let timestamp = UInt32(index) * 960
            let bytes: [UInt8] = [0x80, payloadType, UInt8(sequence >> 8), UInt8(sequence & 0xFF),
                                  UInt8(timestamp >> 24), UInt8((timestamp >> 16) & 0xFF), UInt8((timestamp >> 8) & 0xFF), UInt8(timestamp & 0xFF),
                                  UInt8(ssrc >> 24), UInt8((ssrc >> 16) & 0xFF), UInt8((ssrc >> 8) & 0xFF), UInt8(ssrc & 0xFF),
                                  UInt8(original >> 8), UInt8(original & 0xFF)] + Self.mediaPayload(index)
            for (j, byte) in bytes.enumerated() { buffer[j] = byte }
            transport.sendRTP(buffer, length: bytes.count)
        }
    }

    /// Sends an RTCP packet built by `write` on the subscriber connection (NACK, PLI).
    func sendSubscriberRTCP(_ write: @escaping @Sendable (UnsafeMutableRawBufferPointer) throws -> Int) throws {
        guard let subscriber else { return }
        try worker.sync {
            let transport = subscriber.value
            let buffer = transport.worker.forwardBuffer
            let length = try write(buffer)
            transport.sendRTCP(buffer, length: length)
        }
    }

    var publisherConnected: Bool { (try? publisher.map { p in try worker.sync { p.value.srtpProfile != nil } } ?? false) ?? false }
    var subscriberConnected: Bool { (try? subscriber.map { p in try worker.sync { p.value.srtpProfile != nil } } ?? false) ?? false }

    func close() throws {
        if let publisher { try worker.sync { publisher.value.close() } }
        if let subscriber { try worker.sync { subscriber.value.close() } }
    }

    private func answerSubscriberOffer(_ sdp: String, version: Int) async throws {
        // Events may arrive before `join` has returned here (as they may before a signaling
        // server has written its `joined` reply): wait for our id.
        for _ in 0..<500 where lock.withLock({ joinedID == nil }) { try await Task.sleep(for: .milliseconds(5)) }
        let offer = try SessionDescription(parsing: sdp)
        // Offers are answered one at a time (the SFU sends the next only after an answer).
        if let existing = subscriber, var state = subscriberAnswerState {
            func answer() throws -> NegotiatedAnswer {
                try makeAnswer(to: offer, options: AnswerOptions(
                    iceCredentials: state.credentials, fingerprint: state.fingerprint, capabilities: subscriberCapabilities,
                    candidates: state.candidates, gatheringComplete: true, sessionID: 7, sessionVersion: UInt64(version)))
            }
            var negotiated = try answer()
            let remote = negotiated.session.remoteICE
            if remote.ufrag != state.remoteUfrag {
                // The SFU restarted ICE: a browser restarts its side too and answers with its new
                // credentials (RFC 8839 4.4.1.1.2).
                let candidates = negotiated.session.remoteRTPCandidates
                let credentials = try worker.sync {
                    let transport = existing.value
                    try transport.restartLocalICE()
                    try transport.ice.setRemoteCredentials(ufrag: remote.ufrag, password: remote.pwd)
                    for candidate in candidates { try transport.addRemoteCandidate(candidate) }
                    return transport.localICECredentials
                }
                state.credentials = ICECredentials(ufrag: credentials.ufrag, pwd: credentials.password)
                state.remoteUfrag = remote.ufrag
                subscriberAnswerState = state
                lock.withLock { _subscriberRestarts += 1 }
                negotiated = try answer()
            }
            try await service.answerSubscriberOffer(participantID: joined!.participantID, connection: joined!.connection, answer: negotiated.answer.text, version: version)
            return
        }
        let (transport, credentials, fingerprint, candidates) = try worker.sync { [context, ice, worker] in
            let transport = try PeerTransport(worker: worker, dtlsContext: context, ice: ice)
            let recorder = self
            transport.onRTP = { buffer, length in
                let packet = UnsafeRawBufferPointer(rebasing: buffer[0..<length])
                recorder.lock.withLock {
                    recorder._received.append((UInt32(packet[8]) << 24 | UInt32(packet[9]) << 16 | UInt32(packet[10]) << 8 | UInt32(packet[11]),
                                               packet[1] & 0x7F, UInt16(packet[2]) << 8 | UInt16(packet[3]), Array(packet[12...])))
                    let id = recorder.subscriberTransportWideID
                    if id != 0, let parsed = try? RTPPacket(packet), let value = parsed.headerExtension(id: id), value.count == 2 {
                        recorder._receivedTransportWide.append(UInt16(value[0]) << 8 | UInt16(value[1]))
                    }
                }
            }
            transport.onRTCP = { buffer, length in
                let bytes = Array(UnsafeRawBufferPointer(rebasing: buffer[0..<length]))
                recorder.lock.withLock { recorder._subscriberRTCP.append(bytes) }
            }
            var gathered: [String] = []
            transport.onEvent = { if case .localCandidate(let c) = $0 { gathered.append(c) } }
            try transport.startGathering()
            return (WorkerBound(transport, worker: worker), transport.localICECredentials, transport.localFingerprint, gathered)
        }
        let negotiated = try makeAnswer(to: offer, options: AnswerOptions(
            iceCredentials: ICECredentials(ufrag: credentials.ufrag, pwd: credentials.password), fingerprint: fingerprint,
            capabilities: subscriberCapabilities, candidates: candidates.map { String($0.dropFirst("candidate:".count)) }, gatheringComplete: true, sessionID: 7))
        let session = negotiated.session
        let transportWideID = session.media.compactMap { $0.headerExtensions[HeaderExtensionURI.transportWideCC] }.first ?? 0
        lock.withLock { subscriberTransportWideID = transportWideID }
        subscriberAnswerState = (ICECredentials(ufrag: credentials.ufrag, pwd: credentials.password), fingerprint,
                                 candidates.map { String($0.dropFirst("candidate:".count)) }, session.remoteICE.ufrag)
        try worker.sync {
            try transport.value.start(remote: .init(
                iceUfrag: session.remoteICE.ufrag, icePassword: session.remoteICE.pwd, fingerprint: session.remoteFingerprints[0],
                dtlsRole: session.isDTLSClient ? .client : .server,
                candidates: session.remoteCandidates.map(\.sdpFragment), candidatesComplete: false))
        }
        subscriber = transport
        lock.withLock { subscriberStarted = true }
        flushSubscriberCandidates()
        try await service.answerSubscriberOffer(participantID: joined!.participantID, connection: joined!.connection, answer: negotiated.answer.text, version: version)
    }
}

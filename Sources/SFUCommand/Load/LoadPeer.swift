import Foundation
import RTP
import SDP
import SFU
import Transport

/// What a load participant's media side tells its driver.
enum LoadPeerEvent: Sendable {
    /// The publisher's offer, with every gathered candidate in it.
    case publisherOffer(String)
    /// Our answer to a subscriber offer.
    case subscriberAnswer(sdp: String, version: Int)
    /// A candidate of ours to trickle (after the answer it belongs to went out).
    case candidate(target: String, candidate: String)
    case connected(target: String)
    case failed(target: String, reason: String)
}

/// The publish settings of a load participant.
struct LoadMediaSettings: Sendable {
    var audio = true
    var videoBitsPerSecond = 1_500_000
    var framesPerSecond = 30
    var keyframeIntervalSeconds = 2.0
    /// Video pacing rate as a multiple of the bitrate; 0: whole frames at once (VideoPacer).
    var pacingFactor = 2.5
}

/// A load participant's two peer connections on its media worker, built from the project's own
/// transport (libnice ICE, OpenSSL DTLS, libsrtp2): the publisher offers (JSEP, RFC 8829 5.2:
/// `OfferBuilder`, ICE controlling), the subscriber answers the SFU's offers (`makeAnswer`).
final class LoadPeer {
    let worker: MediaWorker
    private let context: DTLSContext
    private let ice: ICEConfiguration
    private let settings: LoadMediaSettings
    private let emit: @Sendable (LoadPeerEvent) -> Void
    private let sessionID = UInt64.random(in: 1...(1 << 62))

    private var publisher: PeerTransport?
    private var builder: OfferBuilder?
    private var publisherCandidates: [String] = []
    private var publisherStarted = false
    private var audioSSRC = UInt32.random(in: 1...UInt32.max)
    private var videoSSRC = UInt32.random(in: 1...UInt32.max)
    private var audioMid: String?
    private var videoMid: String?
    private var tone: ToneSender?
    private(set) var video: SyntheticVideoSource?

    private var subscriber: PeerTransport?
    private var subscriberBinding = TransportBinding()
    private var subscriberAnswered = false
    private var pendingSubscriberCandidates: [String] = []
    private var subscriberVersion: UInt64 = 0
    let receiver: SubscriberReceiver
    private let reportTimer: WorkerTimer

    init(worker: MediaWorker, context: DTLSContext, ice: ICEConfiguration, settings: LoadMediaSettings, expectedPackets: Int,
         emit: @escaping @Sendable (LoadPeerEvent) -> Void) {
        self.worker = worker
        self.context = context
        self.ice = ice
        self.settings = settings
        self.emit = emit
        receiver = SubscriberReceiver(expectedPackets: expectedPackets)
        reportTimer = WorkerTimer(worker: worker)
    }

    // MARK: Publishing

    /// Gathers, then emits the offer (all candidates in it: nothing to trickle on this side).
    func startPublishing() throws {
        let transport = try PeerTransport(worker: worker, dtlsContext: context, ice: ice, iceControlling: true)
        publisher = transport
        var builder = OfferBuilder(options: .init(
            iceCredentials: ICECredentials(ufrag: transport.localICECredentials.ufrag, pwd: transport.localICECredentials.password),
            fingerprint: context.certificate.fingerprint, sessionID: sessionID))
        if settings.audio {
            audioMid = builder.addTrack(.init(kind: .audio, local: LocalTrack(ssrc: audioSSRC, cname: "sfu-load", streamID: "load", trackID: "audio")))
        }
        if settings.videoBitsPerSecond > 0 {
            videoMid = builder.addTrack(.init(kind: .video, local: LocalTrack(ssrc: videoSSRC, cname: "sfu-load", streamID: "load", trackID: "video")))
        }
        self.builder = builder
        transport.onEvent = { [unowned self] event in
            switch event {
            case .localCandidate(let candidate):
                publisherCandidates.append(candidate)
            case .gatheringDone:
                emitOffer()
            case .dtlsConnected:
                startMedia()
                emit(.connected(target: "publisher"))
            case .closed(let reason):
                stopMedia()
                emit(.failed(target: "publisher", reason: "\(reason)"))
            case .iceState:
                break
            }
        }
        transport.onRTCP = { [unowned self] buffer, length in publisherRTCP(buffer, length) }
        try transport.startGathering()
    }

    private func emitOffer() {
        guard var builder, !publisherStarted else { return }
        builder.options.candidates = publisherCandidates.map { $0.hasPrefix("candidate:") ? String($0.dropFirst("candidate:".count)) : $0 }
        builder.options.gatheringComplete = true
        do {
            let offer = try builder.createOffer()
            self.builder = builder
            emit(.publisherOffer(offer.text))
        } catch {
            emit(.failed(target: "publisher", reason: "offer: \(error)"))
        }
    }

    /// The SFU's answer to our offer.
    func applyPublisherAnswer(_ text: String) throws {
        guard var builder, let publisher else { return }
        let session = try builder.applyAnswer(SessionDescription(parsing: text))
        self.builder = builder
        guard let remote = PeerTransport.RemoteParameters(session) else { throw LoadFailure("the answer has no fingerprint") }
        if let mid = audioMid, let opus = session[mid: mid]?.codecs.first(where: { $0.name.lowercased() == "opus" }) {
            tone = try ToneSender(frequency: 440, payloadType: opus.payloadType, ssrc: audioSSRC, worker: worker)
        }
        if let mid = videoMid, let codec = session[mid: mid]?.codecs.first {
            video = SyntheticVideoSource(payloadType: codec.payloadType, ssrc: videoSSRC, bitsPerSecond: settings.videoBitsPerSecond,
                                         framesPerSecond: settings.framesPerSecond,
                                         keyframeIntervalSeconds: settings.keyframeIntervalSeconds,
                                         pacingFactor: settings.pacingFactor, worker: worker)
        }
        publisherStarted = true
        try publisher.start(remote: remote)
    }

    private func startMedia() {
        guard let publisher else { return }
        tone?.start(on: publisher)
        video?.start(on: publisher)
    }

    private func stopMedia() {
        tone?.stop()
        video?.stop()
    }

    private func publisherRTCP(_ buffer: UnsafeMutableRawBufferPointer, _ length: Int) {
        guard let compound = try? RTCPCompound(UnsafeRawBufferPointer(rebasing: buffer[0..<length])) else { return }
        for packet in compound where packet.packetType == .payloadFeedback {
            // PLI or FIR (RFC 4585 6.3.1, RFC 5104 4.3.1): a keyframe next.
            video?.requestKeyframe()
        }
    }

    var packetsPublished: Int { (tone?.packetsSent ?? 0) + (video?.packetsSent ?? 0) }

    // MARK: Subscribing

    /// A `subscriber-offer` from the SFU: the first starts the subscriber transport, later ones
    /// renegotiate (and restart ICE on a new ufrag, RFC 8839 4.4.1.1.1).
    func answerSubscriberOffer(_ text: String, version: Int) throws {
        let offer = try SessionDescription(parsing: text)
        let transport: PeerTransport
        if let subscriber {
            transport = subscriber
        } else {
            transport = try PeerTransport(worker: worker, dtlsContext: context, ice: ice)
            subscriber = transport
            transport.onEvent = { [unowned self] event in
                switch event {
                case .localCandidate(let candidate):
                    if subscriberAnswered { emit(.candidate(target: "subscriber", candidate: candidate)) }
                    else { pendingSubscriberCandidates.append(candidate) }
                case .gatheringDone:
                    if subscriberAnswered { emit(.candidate(target: "subscriber", candidate: "")) }
                case .dtlsConnected:
                    emit(.connected(target: "subscriber"))
                case .closed(let reason):
                    reportTimer.cancel()
                    emit(.failed(target: "subscriber", reason: "\(reason)"))
                case .iceState:
                    break
                }
            }
            transport.onRTP = { [unowned self] in receiver.receiveRTP($0, length: $1) }
            transport.onRTCP = { [unowned self] in receiver.receiveRTCP($0, length: $1) }
            reportTimer.schedule(after: 1000, repeats: true) { [unowned self, unowned transport] in receiver.sendReport(on: transport) }
        }
        subscriberVersion += 1
        var media: [String: LocalMediaOptions] = [:]
        for section in offer.media { if let mid = section.mid { media[mid] = LocalMediaOptions(send: nil, receive: true) } }
        func answer() throws -> NegotiatedAnswer {
            let credentials = transport.localICECredentials
            return try makeAnswer(to: offer, options: AnswerOptions(
                iceCredentials: ICECredentials(ufrag: credentials.ufrag, pwd: credentials.password),
                fingerprint: context.certificate.fingerprint, media: media, candidates: transport.localCandidates,
                gatheringComplete: transport.localGatheringComplete, sessionID: sessionID, sessionVersion: subscriberVersion))
        }
        var negotiated = try answer()
        if subscriberBinding.isICERestart(negotiated.session) {
            // The SFU restarted ICE: new credentials of ours in the answer (RFC 8839 4.4.1.1.2).
            try transport.restartLocalICE()
            negotiated = try answer()
        }
        let session = negotiated.session
        receiver.learn(session)
        _ = try subscriberBinding.apply(session, to: transport)
        emit(.subscriberAnswer(sdp: negotiated.answer.text, version: version))
        if !subscriberAnswered {
            subscriberAnswered = true
            for candidate in pendingSubscriberCandidates { emit(.candidate(target: "subscriber", candidate: candidate)) }
            pendingSubscriberCandidates = []
            if transport.localGatheringComplete { emit(.candidate(target: "subscriber", candidate: "")) }
        }
    }

    /// A trickled SFU candidate ("" ends them).
    func addRemoteCandidate(_ candidate: String, target: String) {
        guard let transport = target == "publisher" ? publisher : subscriber else { return }
        if candidate.isEmpty {
            transport.remoteCandidatesComplete()
        } else {
            _ = try? transport.addRemoteCandidate(candidate)
        }
    }

    func close() {
        stopMedia()
        reportTimer.cancel()
        publisher?.close()
        subscriber?.close()
    }
}

struct LoadFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

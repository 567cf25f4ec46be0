import Foundation
import RTP
import SDP
import Transport

/// A participant's receiving peer connection: the SFU offers (RFC 8829 5.2), one sendonly
/// m-line per forwarded track, and renegotiates whenever the set of tracks changes.
///
/// Offers are serialised: while one waits for its answer, further changes only mark the
/// connection dirty, and the next offer goes out when the answer arrives.
final class SubscriberConnection {
    unowned let participant: Participant
    let worker: MediaWorker
    let transport: PeerTransport?
    private var builder: OfferBuilder
    private(set) var version = 0
    private var awaitingAnswer = false
    private var needsOffer = false
    /// An ICE restart asked for, done when the next offer is made.
    private var restartPending = false
    private var binding = TransportBinding()
    private(set) var forwarders: [String: TrackForwarder] = [:]
    private let reportTimer: WorkerTimer
    /// NACKed sequence numbers gathered while parsing one RTCP compound, answered after it:
    /// the compound lives in the worker's packet buffer, which retransmission reuses.
    private var pendingNACKs: [(forwarder: TrackForwarder, sequence: UInt16)] = []
    private(set) var retransmissions = 0
    /// NACKed packets not resent: too soon after the last resend, or over the budget.
    @exclusivity(unchecked) private var retransmissionBudget = RetransmissionBudget()
    /// NACKed packets beyond the 256 one compound may ask for.
    private(set) var nackedPacketsIgnored = 0
    /// NACK, PLI and FIR for streams this subscriber is not sent (unknown media SSRC).
    private(set) var feedbackIgnored = 0
    var retransmissionsRefused: Int { retransmissionBudget.refusedTooSoon + retransmissionBudget.refusedOverBudget }
    private(set) var keyframeRequests = 0
    private(set) var nacksReceived = 0
    private(set) var plisReceived = 0
    private(set) var firsReceived = 0
    /// From the subscriber's latest receiver report.
    private(set) var remoteReception: RemoteReceptionSummary?

    // Congestion control towards the subscriber (send side, in the manner of GCC): every packet
    // carries our transport-wide number, the subscriber reports arrivals, and the estimate
    // decides which simulcast layers fit (docs/architecture.md, "Bandwidth estimation").
    @exclusivity(unchecked) private var sendHistory = TransportWideSendHistory()
    @exclusivity(unchecked) private var bandwidth = BandwidthEstimator()
    /// One feedback message's matched packets, reused (capacity kept).
    @exclusivity(unchecked) private var feedbackResults: [PacketResult] = []
    /// Whether any transport-wide feedback arrived: until then the estimate means nothing.
    private(set) var hasBandwidthEstimate = false
    private(set) var congestionFeedbackReceived = 0
    /// Statuses in feedback for numbers we did not send (or sent too long ago).
    private(set) var congestionFeedbackUnmatched = 0
    @exclusivity(unchecked) private var probe = BandwidthProbe()
    /// The estimate the layers were last allocated from, and when (monotonic microseconds).
    private var allocatedEstimate = Int.max
    /// Times redundant audio was turned off for this subscriber's link (`starveRedundancy`).
    private(set) var redundancyStrips = 0
    private var lastAllocation: Int64 = .min / 2
    static let reallocationInterval: Int64 = 200_000
    private let probeTimer: WorkerTimer
    private(set) var probesSent = 0
    /// Probes that found more room than the estimate had.
    private(set) var probesSucceeded = 0
    /// The m-line of the last removed track, kept active (without media) instead of stopped while
    /// no other is active: stopping every m-line empties the BUNDLE group, and a browser then
    /// closes the transport (RFC 9143 7.3.3), which later offers could not bring back. It is
    /// stopped as soon as another track has an m-line.
    private var parkedMid: String?
    /// An offer not answered in time is sent again, a few times; a client that never answers
    /// would otherwise receive no further tracks, silently.
    private let answerTimer: WorkerTimer
    private var unansweredOffers = 0
    static let answerTimeoutMilliseconds = 10_000
    static let maximumUnansweredOffers = 3

    /// What subscribers receive besides media: RTP header extensions kept end to end.
    static func capabilities(_ base: CodecCapabilities) -> CodecCapabilities {
        var capabilities = base
        capabilities.audioHeaderExtensions = [HeaderExtensionURI.audioLevel, HeaderExtensionURI.absSendTime]
        // The dependency descriptor goes on as the publisher sent it: with it a receiver follows
        // each frame's references, which AV1 with spatial layers needs (without it Chromium
        // decoded none of them), and frames the SFU leaves out are ones nothing kept refers to.
        capabilities.videoHeaderExtensions = [HeaderExtensionURI.absSendTime, HeaderExtensionURI.videoOrientation,
                                              HeaderExtensionURI.dependencyDescriptor]
        capabilities.audioHeaderExtensions.append(HeaderExtensionURI.transportWideCC)
        capabilities.videoHeaderExtensions.append(HeaderExtensionURI.transportWideCC)
        capabilities.audioFeedback = [.transportCC]
        capabilities.videoFeedback = [.nack, .pli, .fir, .transportCC]
        return capabilities
    }

    init(participant: Participant, worker: MediaWorker, context: DTLSContext, configuration: SFUConfiguration,
         capabilities: CodecCapabilities) throws(RoomError) {
        self.participant = participant
        self.worker = worker
        let transport: PeerTransport
        do {
            // The offerer takes the controlling role (RFC 8445 6.1.1).
            transport = try PeerTransport(worker: worker, dtlsContext: context, ice: configuration.ice, timeouts: configuration.timeouts,
                                          iceControlling: true)
            try transport.startGathering()
        } catch {
            throw .transportFailed("\(error)")
        }
        self.transport = transport
        let credentials = transport.localICECredentials
        builder = OfferBuilder(options: .init(
            iceCredentials: ICECredentials(ufrag: credentials.ufrag, pwd: credentials.password),
            fingerprint: transport.localFingerprint, capabilities: Self.capabilities(capabilities),
            sessionID: UInt64.random(in: 1...(1 << 62))))
        reportTimer = WorkerTimer(worker: worker)
        answerTimer = WorkerTimer(worker: worker)
        probeTimer = WorkerTimer(worker: worker)
        feedbackResults.reserveCapacity(TransportWideSendHistory.capacity)
        transport.onRTCP = { [unowned self] in receiveRTCP($0, length: $1) }
    }

    /// Adds a forwarder for `track` on a new (or recycled) m-line.
    func add(_ track: PublishedTrack) {
        guard forwarders.values.contains(where: { $0.track === track }) == false else { return }
        let ssrc = UInt32.random(in: 1...UInt32.max)
        let rtxSSRC = UInt32.random(in: 1...UInt32.max)
        let local = LocalTrack(ssrc: ssrc, rtxSSRC: track.kind == .video ? rtxSSRC : nil, cname: track.participantID,
                               streamID: track.participantID, trackID: track.id)
        let capability = builder.options.capabilities.codecs(for: track.kind == .audio ? .audio : .video)
            .first { $0.matches(Codec(kind: track.kind == .audio ? .audio : .video, name: track.codec.name,
                                      clockRate: track.codec.clockRate, channels: track.codec.channels,
                                      parameters: track.codec.parameters)) }
        let mid = builder.addTrack(.init(kind: track.kind == .audio ? .audio : .video, local: local,
                                         codecs: capability.map { [$0] }))
        let forwarder = TrackForwarder(track: track, subscriber: self, mid: mid, ssrc: ssrc, rtxSSRC: rtxSSRC)
        forwarders[mid] = forwarder
        track.forwarders.append(forwarder)
        // A newcomer that has not said how large it shows the track needs every layer now.
        participant.room.updateLayerDemand(track, now: MediaClock.monotonicMicroseconds())
        if let parked = parkedMid {
            parkedMid = nil
            try? builder.removeTrack(mid: parked)  // parked mids are active in the builder: cannot fail
        }
        needsOffer = true
    }

    /// Stops forwarding `track` and stops its m-line (port 0) in the next offer.
    func remove(_ track: PublishedTrack) {
        guard let (mid, forwarder) = forwarders.first(where: { $0.value.track === track }) else { return }
        forwarder.deactivate()
        track.forwarders.removeAll { $0 === forwarder }
        forwarders[mid] = nil
        if forwarders.isEmpty {
            if let parked = parkedMid { try? builder.removeTrack(mid: parked) }
            parkedMid = mid
        } else {
            try? builder.removeTrack(mid: mid)  // the mid is ours and active: cannot fail
        }
        needsOffer = true
    }

    /// Sends an offer if something changed and none is outstanding.
    func negotiateIfNeeded() {
        guard needsOffer, !awaitingAnswer, let transport, !transport.isClosed else { return }
        needsOffer = false
        if restartPending {
            restartPending = false
            do {
                try transport.restartLocalICE()
            } catch {
                participant.log("subscriber ICE restart failed: \(error)")
            }
        }
        let credentials = transport.localICECredentials
        builder.options.iceCredentials = ICECredentials(ufrag: credentials.ufrag, pwd: credentials.password)
        // The candidates gathered so far go in the offer (JSEP 5.2.1); later ones trickle. A client
        // forced to relay has no other way to learn where the SFU is (its TURN permission needs
        // the SFU's address before the SFU's checks can come through).
        builder.options.candidates = transport.localCandidates
        builder.options.gatheringComplete = transport.localGatheringComplete
        let offer: SessionDescription
        do {
            offer = try builder.createOffer()
        } catch {
            participant.log("subscriber offer failed: \(error)")
            return
        }
        version += 1
        awaitingAnswer = true
        answerTimer.schedule(after: Self.answerTimeoutMilliseconds) { [unowned self] in answerTimedOut() }
        let tracks = forwarders.values.sorted { $0.mid < $1.mid }.map {
            SubscribedTrack(mid: $0.mid, trackID: $0.track.id, participantID: $0.track.participantID, kind: $0.track.kind)
        }
        participant.send(.subscriberOffer(sdp: offer.text, version: version, tracks: tracks))
    }

    private func answerTimedOut() {
        guard awaitingAnswer else { return }
        unansweredOffers += 1
        guard unansweredOffers < Self.maximumUnansweredOffers else {
            participant.log("\(unansweredOffers) subscriber offers unanswered: ending the session")
            participant.room.end(participant, reason: .mediaLost)
            return
        }
        connectionResumed()
    }

    /// The participant's signaling connection was resumed: an offer sent while it was down may
    /// never have arrived, so a pending one is replaced by a fresh offer (a later answer to the
    /// old one is refused as stale).
    func connectionResumed() {
        guard awaitingAnswer else { return }
        awaitingAnswer = false
        needsOffer = true
        negotiateIfNeeded()
    }

    /// ICE restart from our side (RFC 8445 9): new credentials in the next offer. While an
    /// offer waits for its answer the restart waits too: new credentials now would not be the
    /// ones that offer carried, and the answer's checks would fail against them.
    func restartICE() throws(RoomError) {
        guard let transport, !transport.isClosed else { throw .transportFailed("no subscriber transport") }
        participant.log("subscriber ICE restart asked for by the peer")
        restartPending = true
        needsOffer = true
        negotiateIfNeeded()
    }

    /// libnice gave up on the connected pair (an outage). We are the controlling agent here:
    /// after the network comes back the browser's consent checks are answered again, but
    /// nothing nominates a pair anew, so the connection would stay failed. The offerer restarts
    /// ICE (RFC 8445 9; JSEP 4.1.2's restartIce on the offering side): the offer waits in the
    /// signaling connection, or is sent again on resume, until the client can answer it.
    func iceFailed() {
        guard let transport, !transport.isClosed, transport.srtpProfile != nil else { return }
        participant.log("subscriber ICE failed: restarting it")
        restartPending = true
        needsOffer = true
        negotiateIfNeeded()
    }

    func applyAnswer(_ text: String, version answered: Int) throws(RoomError) {
        guard awaitingAnswer, answered == version else { throw .staleAnswer(expected: version, got: answered) }
        let answer: SessionDescription
        do {
            answer = try SessionDescription(parsing: text)
        } catch {
            throw .badSDP("\(error)")
        }
        let session: NegotiatedSession
        do {
            session = try builder.applyAnswer(answer)
        } catch {
            throw .negotiationFailed("\(error)")
        }
        awaitingAnswer = false
        answerTimer.cancel()
        unansweredOffers = 0
        try applyTransport(session)
        for media in session.media {
            forwarders[media.mid]?.configure(with: media)
        }
        // New subscribers need a keyframe to start decoding.
        let now = MediaClock.monotonicMicroseconds()
        for forwarder in forwarders.values where forwarder.track.kind == .video && !forwarder.hasSentMedia {
            forwarder.chooseLayer(now: now)
            participant.requestKeyframe(forwarder.track, layer: forwarder.targetLayer)
        }
        negotiateIfNeeded()
    }

    private func applyTransport(_ session: NegotiatedSession) throws(RoomError) {
        guard let transport else { return }
        if try binding.apply(session, to: transport) {
            reportTimer.schedule(after: 1000, repeats: true) { [unowned self] in sendSenderReports() }
        }
    }

    func addRemoteCandidate(_ candidate: String) throws(RoomError) {
        guard let transport else { return }
        try binding.addRemoteCandidate(candidate, to: transport)
    }

    // MARK: - RTCP from the subscriber (worker thread)

    private func receiveRTCP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) {
        guard let compound = try? RTCPCompound(UnsafeRawBufferPointer(rebasing: buffer[0..<length])) else { return }
        for packet in compound {
            switch packet.packetType {
            case .payloadFeedback where packet.count == RTP.RTCPFeedback.Format.pictureLossIndication
                || packet.count == RTP.RTCPFeedback.Format.fullIntraRequest:
                // RFC 4585 6.3.1 / RFC 5104 4.3.1: the subscriber lost the picture; ask the
                // publisher (throttled per track, whoever asks).
                let target: UInt32?
                if packet.count == RTP.RTCPFeedback.Format.pictureLossIndication {
                    target = (try? PictureLossIndication(packet))?.mediaSSRC
                    plisReceived += 1
                } else {
                    target = (try? FullIntraRequest(packet))?.first { _ in true }?.ssrc
                    firsReceived += 1
                }
                if let target, let forwarder = forwarders.values.first(where: { $0.ssrc == target }) {
                    keyframeRequests += 1
                    participant.requestKeyframe(forwarder.track, layer: forwarder.currentLayer ?? forwarder.targetLayer)
                } else {
                    feedbackIgnored += 1
                }
            case .transportFeedback where packet.count == RTP.RTCPFeedback.Format.genericNACK:
                guard let nack = try? GenericNACK(packet) else { continue }
                guard let forwarder = forwarders.values.first(where: { $0.ssrc == nack.mediaSSRC }) else {
                    feedbackIgnored += 1
                    continue
                }
                nacksReceived += 1
                for sequence in nack {
                    if pendingNACKs.count < 256 { pendingNACKs.append((forwarder, sequence)) } else { nackedPacketsIgnored += 1 }
                }
            case .transportFeedback where packet.count == RTP.RTCPFeedback.Format.transportWideCC:
                receiveCongestionFeedback(packet)
            case .receiverReport, .senderReport:
                receiveReports(packet)
            default:
                continue
            }
        }
        guard !pendingNACKs.isEmpty else { return }
        let now = MediaClock.monotonicMicroseconds()
        for (forwarder, sequence) in pendingNACKs
        where retransmissionBudget.decide(ssrc: forwarder.ssrc, sequence: sequence, now: now) == .send {
            let bytes = forwarder.retransmit(sequence: sequence, scratch: worker.forwardBuffer)
            guard bytes > 0 else { continue }
            retransmissionBudget.spent(ssrc: forwarder.ssrc, sequence: sequence, bytes: bytes, now: now)
            retransmissions += 1
        }
        pendingNACKs.removeAll(keepingCapacity: true)
    }

    /// Reception reports about the streams we forward (RFC 3550 6.4): loss, jitter, and the
    /// round trip from LSR and DLSR (6.4.1: now - LSR - DLSR, in 1/65536 s).
    private func receiveReports(_ packet: RTCPPacket) {
        let blocks: ReceptionReportBlocks
        if packet.packetType == .receiverReport {
            guard let report = try? ReceiverReport(packet) else { return }
            blocks = report.reports
        } else {
            guard let report = try? SenderReport(packet) else { return }
            blocks = report.reports
        }
        guard !blocks.isEmpty else { return }
        var summary = RemoteReceptionSummary()
        let now = MediaClock.ntpNow().middle32
        for block in blocks {
            guard let forwarder = forwarders.values.first(where: { $0.ssrc == block.ssrc }) else { continue }
            summary.lossRatio = max(summary.lossRatio, Double(block.fractionLost) / 256)
            summary.jitterSeconds = max(summary.jitterSeconds, Double(block.jitter) / Double(max(1, forwarder.track.codec.clockRate)))
            if block.lastSenderReport != 0 {
                let units = now &- block.lastSenderReport &- block.delaySinceLastSenderReport
                // A negative round trip (clock step, a report older than the SR) wraps: skipped.
                if units < 0x8000_0000 { summary.roundTripSeconds = max(summary.roundTripSeconds ?? 0, Double(units) / 65536) }
            }
        }
        remoteReception = summary
        if let roundTrip = summary.roundTripSeconds {
            retransmissionBudget.follow(roundTripSeconds: roundTrip)
            bandwidth.roundTripMicroseconds = Int64(roundTrip * 1_000_000)
        }
    }

    // MARK: - Bandwidth estimation (worker thread)

    /// The transport-wide number the next packet sent to this subscriber carries.
    var transportWideSequence: UInt16 { sendHistory.nextSequence }

    /// A packet carrying `transportWideSequence` was sent.
    @inline(__always)
    func sentTransportWide(bytes: Int, now: Int64, probeCluster: Int? = nil) {
        _ = sendHistory.record(bytes: bytes, now: now, probeCluster: probeCluster)
    }

    /// The subscriber's transport-wide feedback: each reported packet matched with its send
    /// record, lost ones included, and the lot handed to the estimator. Statuses for numbers we
    /// never sent (or forgot) are counted and skipped; at most `capacity` statuses are read from
    /// one message, whatever count it claims.
    private func receiveCongestionFeedback(_ packet: RTCPPacket) {
        guard let feedback = try? TransportWideFeedback(packet) else {
            feedbackIgnored += 1
            return
        }
        let now = MediaClock.monotonicMicroseconds()
        congestionFeedbackReceived += 1
        feedbackResults.removeAll(keepingCapacity: true)
        var read = 0
        var probeReported = false
        for status in feedback {
            read += 1
            if read > TransportWideSendHistory.capacity { break }
            guard let sent = sendHistory.lookup(status.sequenceNumber) else {
                congestionFeedbackUnmatched += 1
                continue
            }
            if probe.isLast(status.sequenceNumber) { probeReported = true }
            feedbackResults.append(PacketResult(sendMicroseconds: sent.sendMicroseconds, arrivalMicroseconds: status.arrivalTime,
                                                bytes: sent.bytes, probeCluster: sent.probeCluster))
        }
        guard !feedbackResults.isEmpty else { return }
        feedbackResults.withUnsafeBufferPointer { bandwidth.update($0, now: now) }
        hasBandwidthEstimate = true
        // A fall of the estimate moves layers now, not at the next second's tick: every
        // millisecond a layer the link cannot carry keeps flowing fills its queue and prolongs
        // the freeze (at most every `reallocationInterval`).
        if bandwidth.bitsPerSecond < allocatedEstimate - allocatedEstimate / 10,
           now &- lastAllocation >= Self.reallocationInterval {
            chooseLayers(now: now)
        }
        if probeReported, let cluster = probe.finish() {
            let before = bandwidth.bitsPerSecond
            let result = bandwidth.probeClusterComplete(cluster, now: now)
            let foundRoom = result.map { $0 > before } ?? false
            probe.outcome(foundRoom: foundRoom)
            if foundRoom {
                probesSucceeded += 1
                // Room found: move up now rather than at the next tick.
                chooseLayers(now: now)
            }
        }
    }

    /// Once a second and after a successful probe: the layer each simulcast track should get,
    /// and how many of its temporal layers, from the sizes the subscriber renders at
    /// (`LayerChoice`) and, once the subscriber reports arrivals, from its estimated bandwidth
    /// (`LayerAllocation`, over each track's ladder). A track sent as one stream takes part when
    /// it has temporal layers. When the estimate holds a track below what its size asks for, a
    /// probe looks for more room.
    func chooseLayers(now: Int64) {
        var allocated: [(forwarder: TrackForwarder, ranked: [PublishedLayer], rungs: [LayerAllocation.Rung], current: Int?)] = []
        var tracks: [LayerAllocation.Track] = []
        var others = 0
        for forwarder in forwarders.values.sorted(by: { $0.mid < $1.mid }) where forwarder.isActive {
            let track = forwarder.track
            if forwarder.isScalable {
                // SVC: one stream, its spatial layers the ladder's steps (`scalableRungs`).
                let rates = track.primary.rates
                let count = min(rates.spatialLayerCount, LayerRates.maximumLayers)
                let rungs = Self.scalableRungs(rates)
                let preferred = forwarder.preferredSpatialLayer(widths: track.primary.spatialLayerWidths, count: count)
                let limit = Int(forwarder.stream.spatialLimit)
                let currentSpatial = min(limit, count - 1)
                let current = forwarder.stream.hasSent
                    ? rungs.firstIndex { $0.spatial == currentSpatial && $0.temporal == forwarder.stream.temporalTarget }
                        ?? rungs.firstIndex { $0.spatial == currentSpatial && $0.temporal == .max }
                    : nil
                guard let preferredRung = rungs.firstIndex(where: { $0.spatial == preferred && $0.temporal == .max }) else { continue }
                allocated.append((forwarder, [], rungs, currentSpatial))
                tracks.append(LayerAllocation.Track(layers: rungs.map { ($0.bitsPerSecond, $0.active) }, preferred: preferredRung, current: current))
                continue
            }
            guard track.isSimulcast || track.primary.rates.temporalLayerCount > 1 else {
                others += track.primary.bitsPerSecond
                continue
            }
            guard let preference = forwarder.preferredLayer(now: now) else { continue }
            let ranked = preference.ranked
            let rungs = LayerAllocation.ladder(ranked.map { layer in
                let temporalLayers = layer.rates.temporalLayerCount
                return LayerAllocation.Layer(bitsPerSecond: layer.bitsPerSecond, active: layer.isActive(now: now), temporalLayers: temporalLayers,
                                             bitsPerSecondThrough: (0..<max(0, temporalLayers - 1)).map { layer.rates.bitsPerSecond(temporalThrough: $0) })
            })
            let currentSpatial = forwarder.currentLayer.flatMap { current in ranked.firstIndex { $0 === current } }
            let current = currentSpatial.flatMap { spatial in
                rungs.firstIndex { $0.spatial == spatial && $0.temporal == forwarder.stream.temporalTarget }
                    ?? rungs.firstIndex { $0.spatial == spatial && $0.temporal == .max }
            }
            guard let preferred = rungs.firstIndex(where: { $0.spatial == preference.index && $0.temporal == .max }) else { continue }
            allocated.append((forwarder, ranked, rungs, currentSpatial))
            tracks.append(LayerAllocation.Track(layers: rungs.map { ($0.bitsPerSecond, $0.active) }, preferred: preferred, current: current))
        }
        lastAllocation = now
        allocatedEstimate = hasBandwidthEstimate ? bandwidth.bitsPerSecond : .max
        guard !tracks.isEmpty else { return }
        let budget = hasBandwidthEstimate ? max(0, bandwidth.bitsPerSecond - others) : nil
        starveRedundancy(budget: hasBandwidthEstimate ? bandwidth.bitsPerSecond - others : nil, tracks: tracks)
        let chosen = LayerAllocation.allocate(budget: budget, tracks: tracks)
        var wanted = others
        var limited = false
        for (index, entry) in allocated.enumerated() {
            let rung = entry.rungs[chosen[index]]
            let preferred = entry.rungs[tracks[index].preferred]
            if entry.forwarder.isScalable {
                if entry.forwarder.stream.spatialTarget != UInt8(rung.spatial) { logSpatialChange(entry.forwarder, to: rung.spatial) }
                entry.forwarder.setSpatialTarget(UInt8(rung.spatial))
            } else if entry.forwarder.track.isSimulcast {
                let layer = entry.ranked[rung.spatial]
                if entry.forwarder.targetLayer !== layer { logLayerChange(entry.forwarder, to: layer) }
                // Held below both its preference and what it receives now: the estimate says the
                // link cannot carry the current layer.
                entry.forwarder.setTarget(layer, dropCurrent: rung.spatial < preferred.spatial && entry.current.map { rung.spatial < $0 } == true)
            }
            entry.forwarder.setTemporalTarget(rung.temporal)
            wanted += Int(Double(preferred.bitsPerSecond) * LayerAllocation.upgradeMargin)
            if chosen[index] < tracks[index].preferred { limited = true }
        }
        if limited { startProbe(wantedBitsPerSecond: wanted, now: now) }
    }

    /// A simulcast target change, at debug level (`sfu serve --log-level debug`): with the
    /// estimate that chose it, it is how a switch is followed in a live room.
    private func logLayerChange(_ forwarder: TrackForwarder, to layer: PublishedLayer) {
        func name(_ layer: PublishedLayer?) -> String {
            guard let layer else { return "none" }
            return (layer.rid ?? "\(layer.index)") + (layer.width.map { " (\($0) px)" } ?? "")
        }
        logAllocation("layer target \(name(forwarder.targetLayer)) -> \(name(layer)) for track \(forwarder.track.id)")
    }

    /// An SVC track's spatial target change, as `logLayerChange`.
    private func logSpatialChange(_ forwarder: TrackForwarder, to layer: Int) {
        let from = forwarder.stream.spatialTarget == .max ? "all" : "\(forwarder.stream.spatialTarget)"
        logAllocation("spatial layer target \(from) -> \(layer) for track \(forwarder.track.id)")
    }

    /// `what` the allocation changed, with the estimate and acknowledged rate, at debug level;
    /// nothing is formatted at other levels.
    private func logAllocation(_ what: @autoclosure () -> String) {
        let logger = participant.room.logger
        guard logger.logLevel <= .debug else { return }
        let estimate = hasBandwidthEstimate ? "\(bandwidth.bitsPerSecond) bit/s" : "none"
        let acknowledged = bandwidth.acknowledgedBitsPerSecond.map { "\($0) bit/s" } ?? "none"
        logger.debug("\(what()): estimate \(estimate), acknowledged \(acknowledged)",
                     metadata: ["participant": "\(participant.id)", "room": "\(participant.room.name)"])
    }

    /// An SVC track's ladder, as plain values: each spatial layer with those below it, all
    /// temporal layers, and under the lowest, its temporal layers 0, 0-1, ... (`LayerAllocation.ladder`).
    static func scalableRungs(_ rates: LayerRates) -> [LayerAllocation.Rung] {
        let count = min(rates.spatialLayerCount, LayerRates.maximumLayers)
        let temporalLayers = rates.temporalLayerCount
        return LayerAllocation.ladder((0..<count).map { spatial in
            LayerAllocation.Layer(bitsPerSecond: rates.bitsPerSecond(spatialThrough: spatial, temporalThrough: LayerRates.maximumLayers - 1),
                                  active: true, temporalLayers: spatial == 0 ? temporalLayers : 0,
                                  bitsPerSecondThrough: spatial == 0
                                      ? (0..<max(0, temporalLayers - 1)).map { rates.bitsPerSecond(spatialThrough: 0, temporalThrough: $0) } : [])
        })
    }

    /// Redundant audio (RFC 2198) doubles each speaker's audio. While the estimate, less the
    /// subscriber's other streams, cannot carry even the lowest rung of every video track, the
    /// redundancy goes (each RED packet is sent as its primary block): on such a link it only
    /// takes the room the video needs, and a starved link loses packets in bursts that RED does
    /// not cover anyway. It comes back once the lowest rungs fit with `LayerAllocation.upgradeMargin`
    /// to spare. An audio-only subscriber keeps it whatever its estimate: its loss is what RED is for.
    private func starveRedundancy(budget: Int?, tracks: [LayerAllocation.Track]) {
        let audio = forwarders.values.filter { $0.isActive && $0.sendsRedundancy }
        guard !audio.isEmpty else { return }
        let lowest = tracks.reduce(0) { total, track in
            total &+ max(0, (track.layers.first(where: \.active) ?? track.layers.first)?.bitsPerSecond ?? 0)
        }
        let stripped = audio.contains { $0.stripsRedundancy }
        let strip = Self.stripsRedundancy(budget: budget, lowestRungs: lowest, stripped: stripped)
        guard strip != stripped else { return }
        for forwarder in audio { forwarder.stripsRedundancy = strip }
        redundancyStrips += strip ? 1 : 0
        participant.log(strip ? "redundant audio off: the link cannot carry the lowest video layers with it"
                              : "redundant audio on again")
    }

    /// `starveRedundancy`'s decision, as plain values: `budget` is the estimate less the other
    /// streams (nil: no estimate), `lowestRungs` what the video tracks' lowest rungs cost.
    static func stripsRedundancy(budget: Int?, lowestRungs: Int, stripped: Bool) -> Bool {
        guard let budget else { return false }
        return stripped ? Double(budget) < Double(lowestRungs) * LayerAllocation.upgradeMargin : budget < lowestRungs
    }

    /// Sends a probe cluster when the estimate holds a layer back: recent packets of one video
    /// stream resent as RTX at a rate above the estimate (1.25 to 2 times it, towards what the
    /// preferred layers need), paced over `BandwidthProbe.duration`. The feedback on them gives
    /// the rate the path carried (`BandwidthEstimator.probeClusterComplete`).
    private func startProbe(wantedBitsPerSecond: Int, now: Int64) {
        guard hasBandwidthEstimate, bandwidth.mayProbe(now: now), probe.mayStart(now: now) else { return }
        guard let forwarder = forwarders.values.filter({ $0.canProbe }).max(by: { $0.mid < $1.mid }) else { return }
        let estimate = bandwidth.bitsPerSecond
        let rate = min(max(wantedBitsPerSecond, estimate + estimate / 4), estimate * 2)
        probe.start(rate: rate, now: now, mid: forwarder.mid)
        probesSent += 1
        // The first packets go at the timer's first firing, not from here: this runs while an
        // RTCP compound from the subscriber is being read out of the worker's packet buffer,
        // which a resend reuses.
        probeTimer.schedule(after: 1, repeats: true) { [unowned self] in sendProbePackets() }
    }

    private func sendProbePackets() {
        let now = MediaClock.monotonicMicroseconds()
        guard let mid = probe.mid, let forwarder = forwarders[mid], forwarder.canProbe else {
            probe.abandon()
            probeTimer.cancel()
            return
        }
        while probe.due(now: now) {
            let sequence = forwarder.lastSequence &- UInt16(truncatingIfNeeded: probe.packets % BandwidthProbe.recentPackets)
            let bytes = forwarder.retransmit(sequence: sequence, scratch: worker.forwardBuffer, probeCluster: probe.cluster)
            guard bytes > 0 else {
                // Nothing left to resend from (the cache moved on): end the cluster as it is.
                probe.skip()
                continue
            }
            probe.sent(bytes: bytes, lastSequence: sendHistory.nextSequence &- 1)
        }
        if probe.isComplete(now: now) { probeTimer.cancel() }
    }

    /// Once a second: what the subscriber was sent sets what may be resent to it.
    func sampled(bitsPerSecondOut: Int) {
        retransmissionBudget.follow(bitsPerSecond: bitsPerSecondOut,
                                    estimateBitsPerSecond: hasBandwidthEstimate ? bandwidth.bitsPerSecond : nil)
    }

    /// Compound packets of sender reports stay within this many bytes (SRTCP's trailer on top):
    /// well under any path's MTU.
    static let maximumReportBytes = 1_100

    /// A sender report per forwarded stream, once a second (RFC 3550 6.4.1): NTP now and the
    /// RTP timestamp of the same instant, so the browser can synchronise audio and video. All of
    /// them in one compound packet (RFC 3550 6.1; RFC 8108 5.3 for several sending SSRCs of one
    /// endpoint), so a subscriber of several streams costs one SRTCP protect and one send a
    /// second, not one per stream; a new compound only past `maximumReportBytes`.
    private func sendSenderReports() {
        guard let transport, transport.srtpProfile != nil else { return }
        let now = MediaClock.monotonicMicroseconds()
        let buffer = worker.forwardBuffer
        let limit = min(Self.maximumReportBytes, buffer.count - SRTPSession.maximumTrailer)
        var length = 0
        for forwarder in forwarders.values where forwarder.isActive && forwarder.hasSentMedia {
            if length + SenderReport.length(reportCount: 0) > limit {
                transport.sendRTCP(buffer, length: length)
                length = 0
            }
            let times = forwarder.senderReportTimes(nowMicroseconds: now)
            guard let written = try? SenderReport.write(
                ssrc: forwarder.ssrc, ntpTime: times.ntp, rtpTimestamp: times.rtpTimestamp,
                packetCount: forwarder.packetsSent, octetCount: forwarder.octetsSent,
                reports: EmptyCollection<ReceptionReport>(), into: UnsafeMutableRawBufferPointer(rebasing: buffer[length..<limit]))
            else { continue }
            length += written
        }
        if length > 0 { transport.sendRTCP(buffer, length: length) }
    }

    /// The estimated bandwidth towards this subscriber while its link limits it (the estimate
    /// fell within `limitedWindow`); nil when it has no estimate or its link showed no limit.
    func limitingBitsPerSecond(now: Int64) -> Int? {
        guard hasBandwidthEstimate, bandwidth.decreased(within: Self.limitedWindow, now: now) else { return nil }
        return bandwidth.bitsPerSecond
    }

    /// How long after the estimate last fell the link still counts as the limit.
    static let limitedWindow: Int64 = 10_000_000

    /// For statistics: the estimate (nil until feedback arrived) and what it is made of.
    var bandwidthSummary: SubscriberBandwidth? {
        guard hasBandwidthEstimate else { return nil }
        return SubscriberBandwidth(
            estimatedBitsPerSecond: bandwidth.bitsPerSecond, acknowledgedBitsPerSecond: bandwidth.acknowledgedBitsPerSecond,
            delaySignal: "\(bandwidth.usage)", lossRatio: bandwidth.lossRatio, feedbackReceived: congestionFeedbackReceived,
            feedbackUnmatched: congestionFeedbackUnmatched, probesSent: probesSent, probesSucceeded: probesSucceeded)
    }

    func close() {
        reportTimer.cancel()
        answerTimer.cancel()
        probeTimer.cancel()
        for forwarder in forwarders.values {
            forwarder.deactivate()
            forwarder.track.forwarders.removeAll { $0 === forwarder }
        }
        forwarders = [:]
        transport?.close()
    }
}

import Logging
import SDP
import Transport

/// A room's forwarding graph on one media worker (mediasoup's Router): its participants, what
/// they publish, and who receives what. Every method runs on the worker thread; packets from
/// a publisher reach all of the room's subscribers on that thread.
final class MediaRouter {
    let name: String
    let worker: MediaWorker
    let logger: Logger
    let metrics: SFUMetrics
    private let context: DTLSContext
    private let configuration: SFUConfiguration
    private let capabilities: CodecCapabilities
    private var participants: [String: Participant] = [:]
    /// Join order, so that lists come out stable.
    private var order: [String] = []
    /// Set when the room was emptied and dropped from the directory: a late join must retry.
    private(set) var isClosed = false
    /// Tells the service that a participant left on the SFU's own initiative.
    private let onParticipantGone: @Sendable (String) -> Void
    /// Once a second: the participants' bitrates.
    private let statisticsTimer: WorkerTimer
    /// Who speaks (`ActiveSpeakers`), decided every `ActiveSpeakerDetection.intervalMilliseconds`.
    private var activeSpeakers = ActiveSpeakers()
    private let speakerTimer: WorkerTimer

    init(name: String, worker: MediaWorker, context: DTLSContext, configuration: SFUConfiguration,
         capabilities: CodecCapabilities = .default, metrics: SFUMetrics = SFUMetrics(),
         onParticipantGone: @escaping @Sendable (String) -> Void) {
        self.name = name
        self.worker = worker
        self.metrics = metrics
        statisticsTimer = WorkerTimer(worker: worker)
        speakerTimer = WorkerTimer(worker: worker)
        self.context = context
        self.configuration = configuration
        var capabilities = capabilities
        capabilities.audioRED = capabilities.audioRED && configuration.audioRedundancy
        self.capabilities = capabilities
        self.onParticipantGone = onParticipantGone
        var logger = Logger(label: "sfu.room")
        logger[metadataKey: "room"] = "\(name)"
        self.logger = logger
        statisticsTimer.schedule(after: 1000, repeats: true) { [unowned self] in
            let now = MediaWorker.monotonicNanoseconds()
            for participant in participants.values {
                participant.sampleBitrates(nanoseconds: now)
                // Layers come and go (a browser pauses its top layers when its uplink shrinks).
                participant.subscriber?.chooseLayers(now: now / 1000)
                for track in participant.publishedTracks { updateLayerDemand(track, now: now / 1000) }
            }
        }
        if let detection = configuration.activeSpeakers {
            let interval = min(max(detection.intervalMilliseconds, 20), 10_000)
            speakerTimer.schedule(after: interval, repeats: true) { [unowned self] in
                updateActiveSpeakers(intervalMilliseconds: interval, smoothing: detection.smoothing)
            }
        }
    }

    deinit {
        statisticsTimer.cancel()
        speakerTimer.cancel()
    }

    /// Ends the interval of every audio track's `SpeechActivity` and tells everyone when the
    /// speakers changed. A participant's score is its loudest audio track's.
    private func updateActiveSpeakers(intervalMilliseconds: Int, smoothing: Double) {
        var scores: [(participantID: String, score: Double)] = []
        for id in order {
            guard let participant = participants[id] else { continue }
            var loudest = 0.0
            for track in participant.publishedTracks where track.kind == .audio && track.audioLevelExtensionID != 0 {
                loudest = max(loudest, track.speech.endInterval(milliseconds: intervalMilliseconds, smoothing: smoothing))
            }
            if loudest > 0 { scores.append((id, loudest)) }
        }
        guard let speakers = activeSpeakers.update(scores: scores) else { return }
        for id in order { participants[id]?.send(.activeSpeakers(participantIDs: speakers)) }
    }

    /// The room's participants and their figures now, in join order.
    var statistics: RoomStatistics {
        RoomStatistics(name: name, worker: worker.index, participants: order.compactMap { participants[$0]?.statistics })
    }

    var isEmpty: Bool { participants.isEmpty }

    func participant(_ id: String) -> Participant? { participants[id] }

    /// Closes the room if it is empty; true if it did.
    func closeIfEmpty() -> Bool {
        guard participants.isEmpty else { return false }
        isClosed = true
        statisticsTimer.cancel()
        speakerTimer.cancel()
        return true
    }

    // MARK: - Joining and leaving

    /// Admits a participant; nil if the room closed meanwhile (the caller retries on a new one).
    func admit(_ request: JoinRequest, events: @escaping @Sendable (RoomEvent) -> Void) throws(RoomError) -> JoinResult? {
        guard !isClosed else { return nil }
        // The same identity again (a reloaded tab): the new session replaces the old one.
        if let previous = participants.values.first(where: { $0.identity == request.identity }) {
            end(previous, reason: .replaced)
        }
        guard participants.count < configuration.maxParticipantsPerRoom else {
            throw .roomFull(limit: configuration.maxParticipantsPerRoom)
        }
        let participant = Participant(id: Identifier.make(prefix: "PA_"), request: request, room: self, events: events)
        let others = order.compactMap { participants[$0] }
        participants[participant.id] = participant
        order.append(participant.id)
        for other in others { other.send(.participantJoined(participant.info)) }
        metrics.joins.increment()
        logger.info("joined", metadata: ["participant": "\(participant.id)", "identity": "\(participant.identity)"])
        // The first subscriber offer goes out after the join reply has been handed back, and
        // after any other joins waiting on the worker: its connection set-up is set-up work.
        if request.grants.subscribe, others.contains(where: { !$0.publishedTracks.isEmpty }) {
            let bound = WorkerBound(self, worker: worker)
            let id = participant.id
            worker.post(priority: .setup) { bound.value.subscribeToEveryone(id) }
        }
        // Who speaks, also after the join reply: a newcomer need not wait for the next change.
        if !activeSpeakers.speakers.isEmpty {
            let bound = WorkerBound(self, worker: worker)
            let id = participant.id
            worker.post(priority: .setup) {
                let router = bound.value
                router.participants[id]?.send(.activeSpeakers(participantIDs: router.activeSpeakers.speakers))
            }
        }
        return JoinResult(participantID: participant.id, resumeToken: participant.resumeToken,
                          participants: others.map(\.info), room: name)
    }

    private func subscribeToEveryone(_ participantID: String) {
        guard let participant = participants[participantID], let subscriber = subscriberConnection(for: participant) else { return }
        for other in order.compactMap({ participants[$0] }) where other !== participant {
            for track in other.publishedTracks { subscriber.add(track) }
        }
        subscriber.negotiateIfNeeded()
    }

    func resume(_ participantID: String, resumeToken: String, events: @escaping @Sendable (RoomEvent) -> Void) throws(RoomError) -> JoinResult {
        guard let participant = participants[participantID], participant.resumeToken == resumeToken else { throw .resumeRefused }
        participant.graceTimer.cancel()
        let connection = participant.resumeConnection(events)
        participant.subscriber?.connectionResumed()
        // What the publisher was told while its connection was down may not have reached it.
        for track in participant.publishedTracks {
            if let rids = track.activeRIDs { participant.send(.layersActive(trackID: track.id, rids: rids)) }
        }
        let others = order.compactMap { participants[$0] }.filter { $0 !== participant }
        return JoinResult(participantID: participant.id, resumeToken: participant.resumeToken,
                          participants: others.map(\.info), room: name, connection: connection)
    }

    /// The signaling connection dropped: keep the participant for the grace period. A drop of
    /// a connection the participant has already left behind (resumed elsewhere) changes nothing.
    func disconnected(_ participantID: String, connection: Int) {
        guard let participant = participants[participantID], participant.connection == connection else { return }
        participant.graceTimer.schedule(after: configuration.resumeGraceMilliseconds) { [unowned self] in
            guard let participant = participants[participantID] else { return }
            remove(participant, reason: .signalingLost)
            onParticipantGone(participantID)
        }
    }

    func leave(_ participantID: String, reason: LeaveReason) {
        guard let participant = participants[participantID] else { return }
        remove(participant, reason: reason)
    }

    /// Ends everyone's session (server shutdown).
    func closeAll(reason: LeaveReason) {
        for participant in order.compactMap({ participants[$0] }) {
            participant.send(.sessionEnded(reason: reason))
            participant.close()
        }
        participants = [:]
        order = []
        isClosed = true
        statisticsTimer.cancel()
        speakerTimer.cancel()
    }

    /// Ends a participant's session on the SFU's initiative: it is told, the others too.
    func end(_ participant: Participant, reason: LeaveReason) {
        guard participants[participant.id] === participant else { return }
        participant.send(.sessionEnded(reason: reason))
        remove(participant, reason: reason)
        onParticipantGone(participant.id)
    }

    private func remove(_ participant: Participant, reason: LeaveReason) {
        let tracks = participant.publishedTracks
        participant.close()
        participants[participant.id] = nil
        order.removeAll { $0 == participant.id }
        for other in order.compactMap({ participants[$0] }) {
            for track in tracks {
                other.subscriber?.remove(track)
                other.send(.trackUnpublished(trackID: track.id, participantID: participant.id))
            }
            other.send(.participantLeft(participantID: participant.id, reason: reason))
            other.subscriber?.negotiateIfNeeded()
        }
        metrics.leaves.increment()
        logger.info("left", metadata: ["participant": "\(participant.id)", "reason": "\(reason.rawValue)"])
    }

    // MARK: - Publishing

    /// The participant, if `connection` is its current signaling connection.
    private func participant(_ id: String, connection: Int) throws(RoomError) -> Participant {
        guard let participant = participants[id] else { throw .unknownParticipant }
        guard participant.connection == connection else { throw .connectionReplaced }
        return participant
    }

    func publish(_ participantID: String, connection: Int, offer: String) throws(RoomError) -> PublishResult {
        let participant = try participant(participantID, connection: connection)
        guard participant.grants.publish else { throw .notAllowed("the token does not grant publish") }
        let connection: PublisherConnection
        if let existing = participant.publisher {
            connection = existing
        } else {
            connection = try PublisherConnection(participant: participant, worker: worker, context: context, configuration: configuration)
            wire(connection.transport, of: participant, role: .publisher)
            participant.publisher = connection
        }
        let result = try connection.negotiate(offer: offer, capabilities: capabilities,
                                              maxTracks: configuration.maxPublishedTracksPerParticipant)
        let others = order.compactMap { participants[$0] }.filter { $0 !== participant }
        for track in result.removed {
            for other in others {
                other.subscriber?.remove(track)
                other.send(.trackUnpublished(trackID: track.id, participantID: participant.id))
            }
        }
        var needConnection: [String] = []
        for other in others {
            for track in result.added { other.send(.trackPublished(track.info)) }
            guard other.grants.subscribe, !result.added.isEmpty else { continue }
            if let subscriber = other.subscriber {
                for track in result.added { subscriber.add(track) }
            } else {
                needConnection.append(other.id)
            }
        }
        for other in others { other.subscriber?.negotiateIfNeeded() }
        // Participants without a subscriber connection yet get one as set-up work, after the
        // answer has gone back: the first publish into a room of hundreds would otherwise set
        // up hundreds of connections before answering.
        if !needConnection.isEmpty {
            let bound = WorkerBound(self, worker: worker)
            for id in needConnection { worker.post(priority: .setup) { bound.value.subscribeToEveryone(id) } }
        }
        let tracks = connection.tracks.map { track in
            var info = track.info
            info.mid = track.mid
            return info
        }
        return PublishResult(answer: result.answer, tracks: tracks)
    }

    func setMuted(_ participantID: String, connection: Int, trackID: String, muted: Bool) throws(RoomError) {
        let participant = try participant(participantID, connection: connection)
        guard let track = participant.publishedTracks.first(where: { $0.id == trackID }) else { throw .unknownTrack(trackID) }
        guard track.muted != muted else { return }
        track.muted = muted
        if muted { track.speech.reset() }
        for other in participants.values where other !== participant {
            other.send(.trackMuted(trackID: trackID, participantID: participantID, muted: muted))
        }
        // Unmuted video starts with a keyframe for everyone.
        if !muted { participant.publisher?.requestKeyframe(for: track) }
    }

    // MARK: - Subscribing

    func setVideoSize(_ participantID: String, connection: Int, trackID: String, width: Int, height: Int) throws(RoomError) {
        let participant = try participant(participantID, connection: connection)
        guard let forwarder = participant.subscriber?.forwarders.values.first(where: { $0.track.id == trackID }) else {
            throw .unknownTrack(trackID)
        }
        forwarder.renderedWidth = width
        let now = MediaClock.monotonicMicroseconds()
        forwarder.chooseLayer(now: now)
        updateLayerDemand(forwarder.track, now: now)
    }

    /// Tells the publisher of `track` which of its simulcast layers to send when that changed
    /// (`LayerDemand`): from the picture widths of its layers and the sizes its subscribers
    /// render it at. Once a second, and at once when a subscriber comes or reports a size.
    func updateLayerDemand(_ track: PublishedTrack, now: Int64) {
        guard let delay = configuration.unusedLayerPauseMilliseconds, track.kind == .video, track.isSimulcast,
              let publisher = participants[track.participantID] else { return }
        let ranked = track.rankedLayers
        let needed = LayerDemand.needed(widths: ranked.map(\.width), renderedWidths: track.forwarders.map(\.renderedWidth))
        guard let count = track.demand.update(needed: needed, count: ranked.count, now: now,
                                              pauseDelay: Int64(min(max(0, delay), 3_600_000)) * 1000) else { return }
        let rids = ranked.prefix(count).compactMap(\.rid)
        track.activeRIDs = rids
        publisher.send(.layersActive(trackID: track.id, rids: rids))
        logger.info("simulcast layers needed", metadata: ["participant": "\(publisher.id)", "track": "\(track.id)",
                                                         "active": "\(rids.joined(separator: ","))",
                                                         "paused": "\(ranked.dropFirst(count).compactMap(\.rid).joined(separator: ","))"])
    }

    func answerSubscriberOffer(_ participantID: String, connection: Int, answer: String, version: Int) throws(RoomError) {
        let participant = try participant(participantID, connection: connection)
        guard let subscriber = participant.subscriber else { throw .staleAnswer(expected: 0, got: version) }
        try subscriber.applyAnswer(answer, version: version)
    }

    func restartSubscriberICE(_ participantID: String, connection: Int) throws(RoomError) {
        let participant = try participant(participantID, connection: connection)
        try participant.subscriber?.restartICE()
    }

    func addCandidate(_ participantID: String, connection: Int, target: PeerRole, candidate: String) throws(RoomError) {
        let participant = try participant(participantID, connection: connection)
        switch target {
        case .publisher:
            guard let publisher = participant.publisher else { throw .badCandidate("no publisher connection yet") }
            try publisher.addRemoteCandidate(candidate)
        case .subscriber:
            guard let subscriber = participant.subscriber else { throw .badCandidate("no subscriber connection yet") }
            try subscriber.addRemoteCandidate(candidate)
        }
    }

    private func subscriberConnection(for participant: Participant) -> SubscriberConnection? {
        if let existing = participant.subscriber { return existing }
        do {
            let connection = try SubscriberConnection(participant: participant, worker: worker, context: context,
                                                      configuration: configuration, capabilities: capabilities)
            if let transport = connection.transport { wire(transport, of: participant, role: .subscriber) }
            participant.subscriber = connection
            return connection
        } catch {
            participant.log("subscriber connection failed: \(error)")
            return nil
        }
    }

    /// Transport events become room events for the participant; a dead transport ends it.
    private func wire(_ transport: PeerTransport, of participant: Participant, role: PeerRole) {
        let participantID = participant.id
        transport.onEvent = { [unowned self, unowned transport] event in
            guard let participant = participants[participantID] else { return }
            switch event {
            case .localCandidate(let candidate):
                participant.send(.candidate(target: role, candidate: candidate))
            case .gatheringDone:
                participant.send(.candidate(target: role, candidate: nil))
            case .iceState(let state):
                participant.log("\(role.rawValue) ICE \(state.rawValue)")
                switch state {
                case .checking, .failed: participant.send(.connectionState(target: role, state: state.rawValue))
                // Connected again after a failure or a restart (DTLS stays up across both): the
                // client may drop a restart it scheduled on the failure report.
                case .ready where transport.srtpProfile != nil: participant.send(.connectionState(target: role, state: "connected"))
                default: break
                }
                if state == .failed, role == .subscriber { participant.subscriber?.iceFailed() }
            case .dtlsConnected(let profile, let version, let cipher):
                // Which SRTP profile a participant ended on: browsers differ, and the two cost
                // differently per packet (docs/benchmarks.md).
                participant.log("\(role.rawValue) DTLS connected: \(profile), \(version), \(cipher)")
                if let duration = transport.timings.iceConnect { metrics.iceConnect.record(duration: duration) }
                if let duration = transport.timings.dtlsHandshake { metrics.dtlsHandshake.record(duration: duration) }
                participant.send(.connectionState(target: role, state: "connected"))
            case .closed(let reason):
                guard reason != .local else { return }
                participant.log("\(role.rawValue) transport closed: \(reason)")
                participant.send(.connectionState(target: role, state: "closed"))
                end(participant, reason: .mediaLost)
            }
        }
    }
}

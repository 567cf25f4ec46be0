import Logging
import SDP
import Transport

/// One participant of a room, on the room's worker: identity, grants, its two peer
/// connections and the signaling connection's event sink.
final class Participant {
    let id: String
    let identity: String
    let name: String
    let grants: Grants
    let resumeToken: String
    unowned let room: MediaRouter
    /// Our SSRC as sender of RTCP feedback and receiver reports to this participant.
    let rtcpSSRC = UInt32.random(in: 1...UInt32.max)
    private(set) var events: @Sendable (RoomEvent) -> Void
    var publisher: PublisherConnection?
    var subscriber: SubscriberConnection?
    /// Set while the signaling connection is gone; fires the leave after the grace period.
    let graceTimer: WorkerTimer
    private(set) var isGone = false
    /// The current signaling connection (0 at join, +1 per resume).
    private(set) var connection = 0
    /// When the join was asked for, and whether media has reached the participant since.
    let joinRequestedNanoseconds: Int64
    private(set) var hasReceivedMedia = false
    var bitrateIn = BitrateMeter()
    var bitrateOut = BitrateMeter()

    init(id: String, request: JoinRequest, room: MediaRouter, events: @escaping @Sendable (RoomEvent) -> Void) {
        self.id = id
        identity = request.identity
        name = request.name
        grants = request.grants
        resumeToken = Identifier.make(prefix: "", length: 32)
        self.room = room
        self.events = events
        graceTimer = WorkerTimer(worker: room.worker)
        joinRequestedNanoseconds = request.receivedNanoseconds ?? MediaWorker.monotonicNanoseconds()
    }

    /// The first media packet went out to this participant: the join-to-first-media time.
    func firstMediaSent(nanoseconds: Int64) {
        hasReceivedMedia = true
        room.metrics.joinToFirstMedia.recordNanoseconds(nanoseconds - joinRequestedNanoseconds)
    }

    /// Once a second, from the room's tick.
    func sampleBitrates(nanoseconds: Int64) {
        bitrateIn.sample(bytes: publisher?.transport.stats.rtpBytesReceived ?? 0, nanoseconds: nanoseconds)
        bitrateOut.sample(bytes: subscriber?.transport?.stats.rtpBytesSent ?? 0, nanoseconds: nanoseconds)
        subscriber?.sampled(bitsPerSecondOut: bitrateOut.bitsPerSecond)
        for track in publishedTracks {
            for layer in track.layers { layer.sample(nanoseconds: nanoseconds) }
        }
    }

    var statistics: ParticipantStatistics {
        var lost = 0, expected = 0
        var jitterIn = 0.0
        for track in publishedTracks {
            for layer in track.layers {
                lost += max(0, Int(layer.statistics.cumulativeLost))
                expected += Int(layer.statistics.expected)
                jitterIn = max(jitterIn, layer.statistics.jitterSeconds)
            }
        }
        let remote = subscriber?.remoteReception
        var figures = ParticipantStatistics(
            id: id, identity: identity,
            bitrateInBitsPerSecond: bitrateIn.bitsPerSecond, bitrateOutBitsPerSecond: bitrateOut.bitsPerSecond,
            packetsIn: publisher?.transport.stats.rtpPacketsReceived ?? 0,
            packetsOut: subscriber?.transport?.stats.rtpPacketsSent ?? 0,
            packetsLostIn: lost, lossRatioIn: expected > 0 ? Double(lost) / Double(expected) : 0,
            jitterInSeconds: jitterIn,
            lossRatioOut: remote?.lossRatio, jitterOutSeconds: remote?.jitterSeconds, roundTripSeconds: remote?.roundTripSeconds,
            nacksReceived: subscriber?.nacksReceived ?? 0, plisReceived: subscriber?.plisReceived ?? 0,
            firsReceived: subscriber?.firsReceived ?? 0, retransmissionsSent: subscriber?.retransmissions ?? 0,
            retransmissionsRefused: (subscriber?.retransmissionsRefused ?? 0) + (subscriber?.nackedPacketsIgnored ?? 0),
            feedbackIgnored: subscriber?.feedbackIgnored ?? 0,
            keyframeRequestsSent: publisher?.keyframeRequestsSent ?? 0,
            congestionFeedbackSent: publisher?.congestionFeedbackSent ?? 0,
            nacksSent: publisher?.nacksSent ?? 0,
            packetsRepairedIn: publishedTracks.reduce(0) { $0 + $1.layers.reduce(0) { $0 + ($1.lossRepair?.packetsRecovered ?? 0) } },
            publishedTracks: publishedTracks.count, subscribedTracks: subscriber?.forwarders.count ?? 0)
        figures.bandwidth = subscriber?.bandwidthSummary
        figures.publishCapBitsPerSecond = publisher?.bitrateCapSent
        figures.temporalLayerPacketsDropped = subscriber?.forwarders.values.reduce(0) { $0 + $1.stream.temporalDrops } ?? 0
        figures.tracks = publishedTracks.map { track in
            TrackStatistics(id: track.id, kind: track.kind.rawValue, codec: track.codec.name, muted: track.muted,
                            layers: track.layers.map { layer in
                                var figures = layer.statistics(isVideo: track.kind == .video)
                                figures.paused = track.isPaused(layer)
                                figures.temporalLayers = layer.rates.temporalLayerCount > 0 ? layer.rates.temporalLayerCount : nil
                                figures.spatialLayers = layer.rates.spatialLayerCount > 1 ? layer.rates.spatialLayerCount : nil
                                figures.spatialLayerWidths = layer.spatialLayerWidths
                                return figures
                            })
        }
        return figures
    }

    var info: ParticipantInfo {
        ParticipantInfo(id: id, identity: identity, name: name, tracks: publishedTracks.map(\.info))
    }

    var publishedTracks: [PublishedTrack] { publisher?.tracks ?? [] }

    func send(_ event: RoomEvent) {
        guard !isGone else { return }
        events(event)
    }

    /// A resumed signaling connection takes over the event sink; returns its number.
    func resumeConnection(_ sink: @escaping @Sendable (RoomEvent) -> Void) -> Int {
        events = sink
        connection += 1
        return connection
    }

    /// A keyframe of `layer` (of the layer this participant is sent, when nil) from the publisher.
    func requestKeyframe(_ track: PublishedTrack, layer: PublishedLayer? = nil) {
        room.participant(track.participantID)?.publisher?.requestKeyframe(for: track, layer: layer ?? track.layers.last)
    }

    func log(_ message: String) { room.logger.info("\(message)", metadata: ["participant": "\(id)", "room": "\(room.name)"]) }

    /// Frees both peer connections; the participant gets no more events.
    func close() {
        isGone = true
        graceTimer.cancel()
        publisher?.close()
        subscriber?.close()
        publisher = nil
        subscriber = nil
    }
}

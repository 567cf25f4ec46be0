import Transport

/// What one participant sends and receives now: read on the room's worker, handed to the stats
/// endpoint and the metrics exposition as values.
public struct ParticipantStatistics: Sendable, Equatable, Codable {
    public var id: String
    public var identity: String
    /// RTP bytes per second (headers included, SRTP overhead not) over the last second.
    public var bitrateInBitsPerSecond: Int
    public var bitrateOutBitsPerSecond: Int
    /// Since the participant joined.
    public var packetsIn: Int
    public var packetsOut: Int
    /// From this participant's published streams (RFC 3550 A.3: expected less received).
    public var packetsLostIn: Int
    public var lossRatioIn: Double
    /// The highest interarrival jitter of its published streams (RFC 3550 6.4.1).
    public var jitterInSeconds: Double
    /// From the receiver reports this participant sends for what it receives: the highest
    /// fraction lost and jitter of the last reports, and the round-trip time (RFC 3550 6.4.1,
    /// LSR and DLSR). nil until a report came.
    public var lossRatioOut: Double?
    public var jitterOutSeconds: Double?
    public var roundTripSeconds: Double?
    /// Feedback from this participant as a subscriber (RFC 4585, RFC 5104).
    public var nacksReceived: Int
    public var plisReceived: Int
    public var firsReceived: Int
    public var retransmissionsSent: Int
    /// NACKed packets not resent to it: asked for again within a round trip, beyond its
    /// retransmission budget (half its bitrate, at least 512 kbit/s), or beyond 256 in one packet.
    public var retransmissionsRefused: Int
    /// Its NACKs, PLIs and FIRs about streams it is not sent.
    public var feedbackIgnored: Int
    /// Keyframe requests (PLI) sent to this participant as a publisher.
    public var keyframeRequestsSent: Int
    /// Transport-wide congestion control feedback messages sent to it as a publisher.
    public var congestionFeedbackSent: Int
    /// NACKs sent to it as a publisher for packets that did not arrive, and the packets its
    /// retransmissions repaired (RFC 4585 6.2.1, RFC 4588).
    public var nacksSent: Int
    public var packetsRepairedIn: Int
    public var publishedTracks: Int
    public var subscribedTracks: Int
    /// Ingest health of each track it publishes.
    public var tracks: [TrackStatistics] = []
    /// The bandwidth estimated towards it as a subscriber, from its transport-wide congestion
    /// feedback; nil until feedback arrived (or when it did not negotiate transport-cc).
    public var bandwidth: SubscriberBandwidth?
    /// The most this participant was last told to publish (REMB, `PublisherBitrateCap`), bits
    /// per second; nil while its subscribers set no cap.
    public var publishCapBitsPerSecond: Int?
    /// Packets of upper temporal layers not sent to it as a subscriber, to fit its bandwidth
    /// (`ForwardedStream.temporalTarget`).
    public var temporalLayerPacketsDropped = 0

    /// A participant with every figure at zero (tools and tests fill in the rest).
    public init(id: String, identity: String) {
        self.init(id: id, identity: identity, bitrateInBitsPerSecond: 0, bitrateOutBitsPerSecond: 0, packetsIn: 0, packetsOut: 0,
                  packetsLostIn: 0, lossRatioIn: 0, jitterInSeconds: 0, lossRatioOut: nil, jitterOutSeconds: nil,
                  roundTripSeconds: nil, nacksReceived: 0, plisReceived: 0, firsReceived: 0, retransmissionsSent: 0, retransmissionsRefused: 0, feedbackIgnored: 0,
                  keyframeRequestsSent: 0, congestionFeedbackSent: 0, nacksSent: 0, packetsRepairedIn: 0, publishedTracks: 0, subscribedTracks: 0)
    }

    init(id: String, identity: String, bitrateInBitsPerSecond: Int, bitrateOutBitsPerSecond: Int, packetsIn: Int, packetsOut: Int,
         packetsLostIn: Int, lossRatioIn: Double, jitterInSeconds: Double, lossRatioOut: Double?, jitterOutSeconds: Double?,
         roundTripSeconds: Double?, nacksReceived: Int, plisReceived: Int, firsReceived: Int, retransmissionsSent: Int, retransmissionsRefused: Int, feedbackIgnored: Int,
         keyframeRequestsSent: Int, congestionFeedbackSent: Int, nacksSent: Int, packetsRepairedIn: Int, publishedTracks: Int, subscribedTracks: Int) {
        self.id = id
        self.identity = identity
        self.bitrateInBitsPerSecond = bitrateInBitsPerSecond
        self.bitrateOutBitsPerSecond = bitrateOutBitsPerSecond
        self.packetsIn = packetsIn
        self.packetsOut = packetsOut
        self.packetsLostIn = packetsLostIn
        self.lossRatioIn = lossRatioIn
        self.jitterInSeconds = jitterInSeconds
        self.lossRatioOut = lossRatioOut
        self.jitterOutSeconds = jitterOutSeconds
        self.roundTripSeconds = roundTripSeconds
        self.nacksReceived = nacksReceived
        self.plisReceived = plisReceived
        self.firsReceived = firsReceived
        self.retransmissionsSent = retransmissionsSent
        self.retransmissionsRefused = retransmissionsRefused
        self.feedbackIgnored = feedbackIgnored
        self.keyframeRequestsSent = keyframeRequestsSent
        self.congestionFeedbackSent = congestionFeedbackSent
        self.nacksSent = nacksSent
        self.packetsRepairedIn = packetsRepairedIn
        self.publishedTracks = publishedTracks
        self.subscribedTracks = subscribedTracks
    }
}

/// The send-side bandwidth estimate towards one subscriber (docs/architecture.md, "Bandwidth
/// estimation") and the feedback and probes behind it.
public struct SubscriberBandwidth: Sendable, Equatable, Codable {
    public var estimatedBitsPerSecond: Int
    /// What the subscriber reported receiving over the last half second.
    public var acknowledgedBitsPerSecond: Int?
    /// The delay-based detector's state: normal, overusing or underusing.
    public var delaySignal: String
    /// Smoothed fraction of packets its feedback reports lost.
    public var lossRatio: Double
    public var feedbackReceived: Int
    /// Packet statuses in its feedback for numbers the SFU did not send (or sent too long ago).
    public var feedbackUnmatched: Int
    public var probesSent: Int
    /// Probes that measured more room than the estimate held.
    public var probesSucceeded: Int

    public init(estimatedBitsPerSecond: Int, acknowledgedBitsPerSecond: Int?, delaySignal: String, lossRatio: Double,
                feedbackReceived: Int, feedbackUnmatched: Int, probesSent: Int, probesSucceeded: Int) {
        self.estimatedBitsPerSecond = estimatedBitsPerSecond
        self.acknowledgedBitsPerSecond = acknowledgedBitsPerSecond
        self.delaySignal = delaySignal
        self.lossRatio = lossRatio
        self.feedbackReceived = feedbackReceived
        self.feedbackUnmatched = feedbackUnmatched
        self.probesSent = probesSent
        self.probesSucceeded = probesSucceeded
    }
}

/// Ingest health of one published track: per stream (its simulcast layers, or its one stream).
public struct TrackStatistics: Sendable, Equatable, Codable {
    public var id: String
    public var kind: String
    public var codec: String
    public var muted: Bool
    public var layers: [LayerStatistics]

    public init(id: String, kind: String, codec: String, muted: Bool, layers: [LayerStatistics]) {
        self.id = id
        self.kind = kind
        self.codec = codec
        self.muted = muted
        self.layers = layers
    }
}

/// One incoming RTP stream of a published track, as the SFU receives it.
public struct LayerStatistics: Sendable, Equatable, Codable {
    /// The simulcast rid; nil for a track sent as one stream.
    public var rid: String?
    public var ssrc: UInt32
    /// RTP bytes per second over the last second (headers included).
    public var bitrateBitsPerSecond: Int
    /// Frames completed (RTP marker bit) per second over the last second; video only.
    public var framesPerSecond: Double?
    /// Picture size of the last keyframe that carried one (VP8, VP9).
    public var width: Int?
    public var height: Int?
    public var packetsReceived: Int
    /// RFC 3550 A.3: expected less received, and that over expected.
    public var packetsLost: Int
    public var lossRatio: Double
    public var jitterSeconds: Double
    /// Keyframes received; those answering a keyframe request; the last and mean interval
    /// between the others (seconds), and how many intervals broke the rhythm (`KeyframeCadence`).
    public var keyframes: Int
    public var requestedKeyframes: Int
    public var keyframeIntervalSeconds: Double?
    public var meanKeyframeIntervalSeconds: Double?
    public var irregularKeyframeIntervals: Int
    /// The server asked the publisher to pause this simulcast layer: no subscriber needs it
    /// (`LayerDemand`).
    public var paused: Bool = false
    /// Temporal layers the stream sent over the last second (dependency descriptors or VP8
    /// TIDs), nil without any.
    public var temporalLayers: Int?
    /// Spatial layers (SVC: VP9 or AV1 in an `LxTy` mode) it sent over the last second, nil for
    /// a stream of one picture size.
    public var spatialLayers: Int?
    /// Each spatial layer's picture width, smallest first, as its dependency descriptors give
    /// them; nil without.
    public var spatialLayerWidths: [Int]?

    public init(rid: String?, ssrc: UInt32, bitrateBitsPerSecond: Int = 0, framesPerSecond: Double? = nil, width: Int? = nil,
                height: Int? = nil, packetsReceived: Int = 0, packetsLost: Int = 0, lossRatio: Double = 0, jitterSeconds: Double = 0,
                keyframes: Int = 0, requestedKeyframes: Int = 0, keyframeIntervalSeconds: Double? = nil,
                meanKeyframeIntervalSeconds: Double? = nil, irregularKeyframeIntervals: Int = 0) {
        self.rid = rid
        self.ssrc = ssrc
        self.bitrateBitsPerSecond = bitrateBitsPerSecond
        self.framesPerSecond = framesPerSecond
        self.width = width
        self.height = height
        self.packetsReceived = packetsReceived
        self.packetsLost = packetsLost
        self.lossRatio = lossRatio
        self.jitterSeconds = jitterSeconds
        self.keyframes = keyframes
        self.requestedKeyframes = requestedKeyframes
        self.keyframeIntervalSeconds = keyframeIntervalSeconds
        self.meanKeyframeIntervalSeconds = meanKeyframeIntervalSeconds
        self.irregularKeyframeIntervals = irregularKeyframeIntervals
    }
}

public struct RoomStatistics: Sendable, Equatable, Codable {
    public var name: String
    public var worker: Int
    public var participants: [ParticipantStatistics]

    public init(name: String, worker: Int, participants: [ParticipantStatistics]) {
        self.name = name
        self.worker = worker
        self.participants = participants
    }

    public var bitrateInBitsPerSecond: Int { participants.reduce(0) { $0 + $1.bitrateInBitsPerSecond } }
    public var bitrateOutBitsPerSecond: Int { participants.reduce(0) { $0 + $1.bitrateOutBitsPerSecond } }
}

/// One media worker thread.
public struct WorkerStatistics: Sendable, Equatable {
    public var index: Int
    /// CPU time the thread has used since it started.
    public var cpuSeconds: Double
    /// Packets forwarded (one per subscriber copy) since start.
    public var packetsForwarded: Int
    /// Packet in to packet out of every forwarded copy since start.
    public var forwardingLatency: LatencyHistogram
    /// Kernel receive to the worker's read of every received RTP datagram since start.
    public var receiveWait: LatencyHistogram
    /// Datagrams read straight from media sockets by the worker's loop, and GLib iterations run.
    public var directDatagrams: Int
    public var glibIterations: Int
    /// Datagrams sent at the end of a socket's read (held sends), those of them that left in runs
    /// to one socket with UDP segmentation, and the runs.
    public var heldDatagramsSent: Int
    public var heldDatagramsInRuns: Int
    public var heldRuns: Int
    /// Held datagrams dropped (a full send buffer, or their socket closed while held).
    public var heldDatagramsDropped: Int
    public var rooms: Int

    public init(index: Int, cpuSeconds: Double, packetsForwarded: Int, forwardingLatency: LatencyHistogram,
                receiveWait: LatencyHistogram = LatencyHistogram(), directDatagrams: Int = 0, glibIterations: Int = 0,
                heldDatagramsSent: Int = 0, heldDatagramsInRuns: Int = 0, heldRuns: Int = 0, heldDatagramsDropped: Int = 0,
                rooms: Int) {
        self.index = index
        self.cpuSeconds = cpuSeconds
        self.packetsForwarded = packetsForwarded
        self.forwardingLatency = forwardingLatency
        self.receiveWait = receiveWait
        self.directDatagrams = directDatagrams
        self.glibIterations = glibIterations
        self.heldDatagramsSent = heldDatagramsSent
        self.heldDatagramsInRuns = heldDatagramsInRuns
        self.heldRuns = heldRuns
        self.heldDatagramsDropped = heldDatagramsDropped
        self.rooms = rooms
    }
}

/// The whole SFU now: every room and every worker.
public struct ServiceStatistics: Sendable, Equatable {
    public var rooms: [RoomStatistics]
    public var workers: [WorkerStatistics]

    public init(rooms: [RoomStatistics] = [], workers: [WorkerStatistics] = []) {
        self.rooms = rooms
        self.workers = workers
    }

    public var participantCount: Int { rooms.reduce(0) { $0 + $1.participants.count } }
}

import Transport

/// Settings of the SFU core (media side). The signaling service has its own.
public struct SFUConfiguration: Sendable {
    /// Media worker threads; rooms are spread over them.
    public var workers: Int
    public var ice: ICEConfiguration
    public var srtpProfiles: [SRTPProfile]
    public var timeouts: PeerTransport.Timeouts
    public var maxParticipantsPerRoom: Int
    public var maxPublishedTracksPerParticipant: Int
    /// The published-track limit `sfu serve` runs with (audio, video, screen share and its audio).
    public static let defaultMaxPublishedTracksPerParticipant = 4
    /// How long a participant whose signaling dropped is kept for `resume`.
    public var resumeGraceMilliseconds: Int
    /// A simulcast layer no subscriber needs is paused at the publisher once it has been unneeded
    /// this long (`LayerDemand`); nil never pauses layers.
    public var unusedLayerPauseMilliseconds: Int? = 5_000
    /// Who speaks, from the audio levels publishers stamp on their packets (`ActiveSpeakers`);
    /// nil sends no `activeSpeakers` events.
    public var activeSpeakers: ActiveSpeakerDetection? = ActiveSpeakerDetection()
    /// Redundant audio (RFC 2198, Opus in RED as Chromium sends it): accepted from publishers
    /// and passed on to subscribers that negotiate it (others get the primary audio alone).
    /// Each packet then carries the previous frame too, so one lost packet costs no audio, for
    /// about twice the audio bitrate. false negotiates no RED.
    public var audioRedundancy = true

    public init(workers: Int = 0, ice: ICEConfiguration = ICEConfiguration(portRange: 50000...50999),
                srtpProfiles: [SRTPProfile] = SRTPProfile.allCases, timeouts: PeerTransport.Timeouts = .init(),
                maxParticipantsPerRoom: Int = 100, maxPublishedTracksPerParticipant: Int = Self.defaultMaxPublishedTracksPerParticipant,
                resumeGraceMilliseconds: Int = 20_000) {
        self.workers = workers
        self.ice = ice
        self.srtpProfiles = srtpProfiles
        self.timeouts = timeouts
        self.maxParticipantsPerRoom = maxParticipantsPerRoom
        self.maxPublishedTracksPerParticipant = maxPublishedTracksPerParticipant
        self.resumeGraceMilliseconds = resumeGraceMilliseconds
    }
}

/// Settings of the active speaker detection (`SpeechActivity`, `ActiveSpeakers`).
public struct ActiveSpeakerDetection: Sendable, Equatable {
    /// How often scores are updated and the speakers decided. Shorter reacts sooner and costs a
    /// pass over the room's audio tracks each time.
    public var intervalMilliseconds: Int
    /// The loudest RFC 6464 level (in -dBov, 0 to 127) that is not yet sound.
    public var soundLevel: Int
    /// The weight of the latest interval in a track's score (0 to 1).
    public var smoothing: Double

    public init(intervalMilliseconds: Int = 250, soundLevel: Int = 40, smoothing: Double = 0.4) {
        self.intervalMilliseconds = intervalMilliseconds
        self.soundLevel = soundLevel
        self.smoothing = smoothing
    }
}

/// Per-connection limits of the room protocol (docs/signaling.md, "Connection").
public struct SignalingLimits: Sendable, Equatable {
    /// Before `join`: a message (all frames of it) over this many bytes gets
    /// `message-too-large`, close 1009. A join is small; an unauthenticated connection gets no more.
    public var maxMessageBytes: Int
    /// After `join`: the same, for the messages that carry session descriptions. A subscriber's
    /// answer and a publisher's offer grow with the room (about a kilobyte an m-line: 62 kB for
    /// 28 publishers of audio and video, 218 kB for 99), so the joined limit is sized for the
    /// largest room the media limits allow (`SignalingLimits.sessionDescriptionBytes`).
    public var maxJoinedMessageBytes: Int
    /// Token bucket: sustained messages per second, and the burst allowed above it.
    public var messagesPerSecond: Int
    public var messageBurst: Int
    /// Trickled candidates per peer connection and ICE generation.
    public var candidatesPerConnection: Int
    /// The connection must have joined this long after it opened.
    public var joinTimeout: Duration
    /// A connection that sends nothing this long is closed (clients ping every 15 s).
    public var idleTimeout: Duration

    public init(maxMessageBytes: Int = 65536, maxJoinedMessageBytes: Int = 1 << 20, messagesPerSecond: Int = 50, messageBurst: Int = 200,
                candidatesPerConnection: Int = 200, joinTimeout: Duration = .seconds(10), idleTimeout: Duration = .seconds(60)) {
        self.maxMessageBytes = maxMessageBytes
        self.maxJoinedMessageBytes = maxJoinedMessageBytes
        self.messagesPerSecond = messagesPerSecond
        self.messageBurst = messageBurst
        self.candidatesPerConnection = candidatesPerConnection
        self.joinTimeout = joinTimeout
        self.idleTimeout = idleTimeout
    }

    /// The WebSocket frame size the transport accepts: twice the larger message limit, so that
    /// a frame somewhat over it still reaches the session and gets its `message-too-large`
    /// error; a bigger one is cut off by the WebSocket layer itself with close 1009 alone.
    public var transportFrameBytes: Int { max(maxMessageBytes, maxJoinedMessageBytes) * 2 }

    /// Bytes of a session description (JSON-escaped, as it travels in a message) for a room of
    /// `participants` each publishing `tracksPerParticipant` tracks: what one subscriber's offer
    /// and answer hold. 1 400 bytes an m-line covers Chromium's video answer lines (about 960)
    /// and offers with RTX, header extensions and candidates, escaped.
    public static func sessionDescriptionBytes(participants: Int, tracksPerParticipant: Int) -> Int {
        let mLines = max(0, participants - 1).multipliedReportingOverflow(by: max(0, tracksPerParticipant))
        guard !mLines.overflow, mLines.partialValue < 1 << 32 / 1_400 else { return .max }
        return 16_384 + mLines.partialValue * 1_400
    }

    func validate() throws(ConfigurationError) {
        func positive(_ name: String, _ value: Int) throws(ConfigurationError) {
            guard value > 0 else { throw .invalidValue(setting: name, value: "\(value)", reason: "must be positive") }
        }
        try positive("limits.maxMessageBytes", maxMessageBytes)
        guard maxMessageBytes <= 16 << 20 else {
            throw .invalidValue(setting: "limits.maxMessageBytes", value: "\(maxMessageBytes)", reason: "must be at most 16 MiB")
        }
        guard maxJoinedMessageBytes >= maxMessageBytes, maxJoinedMessageBytes <= 16 << 20 else {
            throw .invalidValue(setting: "limits.maxJoinedMessageBytes", value: "\(maxJoinedMessageBytes)",
                                reason: "must be at least limits.maxMessageBytes and at most 16 MiB")
        }
        try positive("limits.messagesPerSecond", messagesPerSecond)
        try positive("limits.messageBurst", messageBurst)
        try positive("limits.candidatesPerConnection", candidatesPerConnection)
        guard joinTimeout > .zero else { throw .invalidValue(setting: "limits.joinTimeoutSeconds", value: "\(joinTimeout)", reason: "must be positive") }
        guard idleTimeout > .zero else { throw .invalidValue(setting: "limits.idleTimeoutSeconds", value: "\(idleTimeout)", reason: "must be positive") }
    }
}

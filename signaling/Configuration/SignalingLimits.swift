/// Per-connection limits of the room protocol (docs/signaling.md, "Connection").
public struct SignalingLimits: Sendable, Equatable {
    /// A message (all frames of it) over this many bytes gets `message-too-large`, close 1009.
    public var maxMessageBytes: Int
    /// Token bucket: sustained messages per second, and the burst allowed above it.
    public var messagesPerSecond: Int
    public var messageBurst: Int
    /// Trickled candidates per peer connection and ICE generation.
    public var candidatesPerConnection: Int
    /// The connection must have joined this long after it opened.
    public var joinTimeout: Duration
    /// A connection that sends nothing this long is closed (clients ping every 15 s).
    public var idleTimeout: Duration

    public init(maxMessageBytes: Int = 65536, messagesPerSecond: Int = 50, messageBurst: Int = 200,
                candidatesPerConnection: Int = 200, joinTimeout: Duration = .seconds(10), idleTimeout: Duration = .seconds(60)) {
        self.maxMessageBytes = maxMessageBytes
        self.messagesPerSecond = messagesPerSecond
        self.messageBurst = messageBurst
        self.candidatesPerConnection = candidatesPerConnection
        self.joinTimeout = joinTimeout
        self.idleTimeout = idleTimeout
    }

    /// The WebSocket frame size the transport accepts: twice the message limit, so that a frame
    /// somewhat over the limit still reaches the session and gets its `message-too-large`
    /// error; a bigger one is cut off by the WebSocket layer itself with close 1009 alone.
    public var transportFrameBytes: Int { maxMessageBytes * 2 }

    func validate() throws(ConfigurationError) {
        func positive(_ name: String, _ value: Int) throws(ConfigurationError) {
            guard value > 0 else { throw .invalidValue(setting: name, value: "\(value)", reason: "must be positive") }
        }
        try positive("limits.maxMessageBytes", maxMessageBytes)
        guard maxMessageBytes <= 16 << 20 else {
            throw .invalidValue(setting: "limits.maxMessageBytes", value: "\(maxMessageBytes)", reason: "must be at most 16 MiB")
        }
        try positive("limits.messagesPerSecond", messagesPerSecond)
        try positive("limits.messageBurst", messageBurst)
        try positive("limits.candidatesPerConnection", candidatesPerConnection)
        guard joinTimeout > .zero else { throw .invalidValue(setting: "limits.joinTimeoutSeconds", value: "\(joinTimeout)", reason: "must be positive") }
        guard idleTimeout > .zero else { throw .invalidValue(setting: "limits.idleTimeoutSeconds", value: "\(idleTimeout)", reason: "must be positive") }
    }
}

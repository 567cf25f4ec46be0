/// A whole SDP session description (RFC 8866 5): session-level lines, then m= sections.
public struct SessionDescription: Hashable, Sendable {
    /// Always 0 (RFC 8866 5.1).
    public var version: Int
    public var origin: Origin
    /// `s=`; WebRTC sends `-` (RFC 8829 5.2.1).
    public var sessionName: String
    public var information: String?
    public var uri: String?
    public var emails: [String]
    public var phones: [String]
    public var connection: Connection?
    public var bandwidths: [Bandwidth]
    /// At least one `t=` is mandatory (RFC 8866 5.9).
    public var timing: [Timing]
    public var timeZones: String?
    public var encryptionKey: String?
    public var attributes: [SDPAttribute]
    public var media: [MediaDescription]

    public init(
        version: Int = 0, origin: Origin, sessionName: String = "-", information: String? = nil,
        uri: String? = nil, emails: [String] = [], phones: [String] = [], connection: Connection? = nil,
        bandwidths: [Bandwidth] = [], timing: [Timing] = [Timing()], timeZones: String? = nil,
        encryptionKey: String? = nil, attributes: [SDPAttribute] = [], media: [MediaDescription] = []
    ) {
        self.version = version
        self.origin = origin
        self.sessionName = sessionName
        self.information = information
        self.uri = uri
        self.emails = emails
        self.phones = phones
        self.connection = connection
        self.bandwidths = bandwidths
        self.timing = timing
        self.timeZones = timeZones
        self.encryptionKey = encryptionKey
        self.attributes = attributes
        self.media = media
    }
}

/// One entry of the `iceServers` list sent in `joined`: an RTCIceServer (W3C WebRTC 4.2.1) that
/// the browser passes to its RTCPeerConnection as is.
public struct ICEServer: Sendable, Equatable {
    /// `stun:` or `turn:`/`turns:` URLs (RFC 7064, RFC 7065).
    public var urls: [String]
    public var username: String?
    public var credential: String?

    public init(urls: [String], username: String? = nil, credential: String? = nil) {
        self.urls = urls
        self.username = username
        self.credential = credential
    }
}

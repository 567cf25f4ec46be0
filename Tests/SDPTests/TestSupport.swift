import SDP

enum TestSupport {
    static let fingerprint = Fingerprint(algorithm: "sha-256", bytes: (0..<32).map { UInt8($0 * 7 & 0xFF) })
    static let ice = ICECredentials(ufrag: "sfuU", pwd: "sfupasswordsfupassword")
    static let candidate = "candidate:1 1 udp 2130706431 192.0.2.10 40000 typ host"

    static func options(
        media: [String: LocalMediaOptions] = [:], capabilities: CodecCapabilities = .default
    ) -> AnswerOptions {
        AnswerOptions(
            iceCredentials: ice, fingerprint: fingerprint, capabilities: capabilities, media: media,
            candidates: [candidate], gatheringComplete: true, sessionID: 42)
    }

    static let track = LocalTrack(ssrc: 1111, rtxSSRC: 2222, cname: "sfu", streamID: "s1", trackID: "t1")
}

import Testing
import SDP

/// Malformed descriptions must be refused with a precise error, never crash or allocate wildly.
@Suite struct HostileInputTests {
    static let expected: [String: SDPParseError] = [
        "missing-v.sdp": .missingLine(type: "v"),
        "bad-version.sdp": .unsupportedVersion(line: 1),
        "uppercase-type.sdp": .malformedLine(line: 1),
        "no-equals.sdp": .malformedLine(line: 3),
        "missing-timing.sdp": .missingLine(type: "t"),
        "bad-origin.sdp": .invalidOrigin(line: 2),
        "unknown-line-type.sdp": .unknownLineType(line: 5, type: "x"),
        "origin-in-media.sdp": .unexpectedLine(line: 8, type: "o"),
        "huge-line.sdp": .lineTooLong(line: 5),
        "media-no-formats.sdp": .invalidMedia(line: 5),
        "bad-port.sdp": .invalidPort(line: 5),
        "negative-port.sdp": .invalidPort(line: 5),
        "too-many-formats.sdp": .tooManyFormats(line: 5),
        "fingerprint-not-hex.sdp": .invalidAttribute(line: 8, name: "fingerprint"),
        "fingerprint-wrong-length.sdp": .invalidAttribute(line: 8, name: "fingerprint"),
        "fingerprint-missing-hash.sdp": .invalidAttribute(line: 8, name: "fingerprint"),
        "rtpmap-bad-pt.sdp": .invalidAttribute(line: 8, name: "rtpmap"),
        "candidate-garbage.sdp": .invalidAttribute(line: 8, name: "candidate"),
        "ice-ufrag-short.sdp": .invalidAttribute(line: 8, name: "ice-ufrag"),
        "extmap-id-zero.sdp": .invalidAttribute(line: 8, name: "extmap"),
        "simulcast-empty.sdp": .invalidAttribute(line: 8, name: "simulcast"),
        "setup-unknown.sdp": .invalidAttribute(line: 8, name: "setup"),
        // a=mid (line 7) + 511 a=x fill the limit of 512; the a=x on line 519 is one too many.
        "attribute-bomb.sdp": .tooManyAttributes(line: 519),
        "session-attribute-bomb.sdp": .tooManyAttributes(line: 517),
        "empty.sdp": .empty,
        "nul-byte.sdp": .forbiddenCharacter(line: 5),
        "bare-cr.sdp": .forbiddenCharacter(line: 5),
        "non-utf8.sdp": .invalidUTF8(line: 3),
    ]

    @Test func corpusIsCovered() {
        #expect(Set(Fixtures.names(in: "hostile")) == Set(Self.expected.keys))
    }

    @Test(arguments: Self.expected.keys.sorted())
    func refused(name: String) {
        let bytes = Fixtures.bytes("hostile/" + name)
        #expect(throws: Self.expected[name]!) { try SessionDescription(parsing: bytes) }
    }

    @Test func tenThousandMediaSections() {
        var text = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
        for i in 0..<10_000 { text += "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:\(i)\r\n" }
        #expect(throws: SDPParseError.tooLarge(limit: 64 * 1024)) { try SessionDescription(parsing: text) }
        // With the size limit lifted, the section limit still holds: 128 sections, the 129th refused.
        let roomy = SDPLimits(maxBytes: 1 << 20)
        #expect(throws: SDPParseError.tooManyMediaSections(line: 5 + 2 * 128)) {
            try SessionDescription(parsing: text, limits: roomy)
        }
    }

    @Test func oversizedTextIsRefusedBeforeScanning() {
        let text = String(repeating: "a=x\r\n", count: 20_000)
        #expect(throws: SDPParseError.tooLarge(limit: 64 * 1024)) { try SessionDescription(parsing: text) }
    }

    @Test func numbersDoNotOverflow() {
        let base = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
        for bad in [
            "a=rtpmap:111 opus/99999999999999999999999/2", "a=ssrc:4294967296 cname:x", "a=sctp-port:65536",
            "a=max-message-size:+5", "a=extmap:256 urn:x", "a=rtcp-fb:-1 nack", "a=fmtp:1000 apt=96",
        ] {
            #expect(throws: SDPParseError.self, "\(bad)") { try SessionDescription(parsing: base + bad + "\r\n") }
        }
        #expect(throws: SDPParseError.invalidOrigin(line: 2)) {
            try SessionDescription(parsing: "v=0\r\no=- 99999999999999999999999 1 IN IP4 1.1.1.1\r\ns=-\r\nt=0 0\r\n")
        }
    }

    @Test func unknownAttributesAreKept() throws {
        let text = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=x-custom:a b c\r\na=flag\r\n"
        let sdp = try SessionDescription(parsing: text)
        #expect(sdp.attributes == [.other(name: "x-custom", value: "a b c"), .other(name: "flag", value: nil)])
        #expect(sdp.text == text)
    }
}

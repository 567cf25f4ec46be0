import Testing
import SDP

@Suite struct AttributeTests {
    static func media(_ lines: String...) throws -> MediaDescription {
        let text = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"
            + lines.map { "a=\($0)\r\n" }.joined()
        return try SessionDescription(parsing: text).media[0]
    }

    @Test func fingerprintFormatsUppercaseColonHex() throws {
        let m = try Self.media("fingerprint:SHA-256 " + (0..<32).map { _ in "ab" }.joined(separator: ":"))
        let f = try #require(m.fingerprints.first)
        #expect(f.algorithm == "sha-256")
        #expect(f.bytes == Array(repeating: 0xAB, count: 32))
        #expect(f.hex == Array(repeating: "AB", count: 32).joined(separator: ":"))
        #expect(Fingerprint(bytes: [0x0A, 0xFF]).hex == "0A:FF")
        #expect(throws: SDPParseError.invalidAttribute(line: 6, name: "fingerprint")) {
            try Self.media("fingerprint:sha-1 " + (["+F"] + Array(repeating: "00", count: 19)).joined(separator: ":"))
        }
        // Hash functions outside the registry are kept with whatever length they have.
        #expect(try Self.media("fingerprint:x-hash 01:02").fingerprints == [Fingerprint(algorithm: "x-hash", bytes: [1, 2])])
    }

    @Test func candidateWithRelatedAddressAndExtensions() throws {
        let value = "842163049 1 udp 1677729535 203.0.113.7 61665 typ srflx raddr 10.0.0.2 rport 51227 generation 0 ufrag EsAw network-cost 999"
        let c = try #require(try Self.media("candidate:" + value).candidates.first)
        #expect(c.kind == .srflx)
        #expect(c.relatedAddress == "10.0.0.2" && c.relatedPort == 51227)
        #expect(c.generation == 0 && c.ufrag == "EsAw")
        #expect(c.extensions.map(\.name) == ["generation", "ufrag", "network-cost"])
        #expect(c.attributeValue == value)
        // Trickled candidates arrive as "candidate:..." strings; IPv6 and mDNS addresses parse too.
        #expect(Candidate(attributeValue: "candidate:1 1 UDP 1 2001:db8::1 9 typ host")?.address == "2001:db8::1")
        #expect(Candidate(attributeValue: "candidate:1 1 udp 1 abcd.local 9 typ host tcptype passive")?.tcpType == "passive")
        #expect(Candidate(attributeValue: "candidate:1 1 udp 1 1.2.3.4 9 typ") == nil)
        #expect(Candidate(attributeValue: "candidate:1 0 udp 1 1.2.3.4 9 typ host") == nil)
    }

    @Test func ridWithRestrictions() throws {
        let m = try Self.media("rid:hi send pt=96,97;max-width=1280;max-fps=30", "rid:lo recv")
        #expect(m.rids[0] == RID(id: "hi", direction: .send, payloadTypes: [96, 97], restrictions: [FormatParameter("max-width", "1280"), FormatParameter("max-fps", "30")]))
        #expect(m.rids[0].attributeValue == "hi send pt=96,97;max-width=1280;max-fps=30")
        #expect(m.rids[1].direction == .recv && m.rids[1].payloadTypes.isEmpty)
        #expect(throws: SDPParseError.invalidAttribute(line: 6, name: "rid")) { try Self.media("rid:a.b send") }
    }

    @Test func simulcastAlternativesAndPaused() throws {
        let m = try Self.media("simulcast:recv 1,~4;2;3 send a")
        let s = try #require(m.simulcast)
        #expect(s.recv == [[.init(rid: "1"), .init(rid: "4", paused: true)], [.init(rid: "2")], [.init(rid: "3")]])
        #expect(s.send == [[.init(rid: "a")]])
        #expect(s.attributeValue == "send a recv 1,~4;2;3")
        #expect(s.reversed.send == s.recv)
        #expect(throws: SDPParseError.self) { try Self.media("simulcast:send a recv b send c") }
    }

    @Test func extmapWithDirectionAndAttributes() throws {
        let m = try Self.media("extmap:3/recvonly urn:ietf:params:rtp-hdrext:encrypt urn:x extra", "extmap-allow-mixed")
        #expect(m.extmaps == [ExtMap(id: 3, direction: .recvonly, uri: "urn:ietf:params:rtp-hdrext:encrypt", extensionAttributes: "urn:x extra")])
        #expect(m.extmapAllowMixed)
        #expect(throws: SDPParseError.self) { try Self.media("extmap:15 urn:x") }
        #expect(throws: SDPParseError.self) { try Self.media("extmap:3/sideways urn:x") }
    }

    @Test func ssrcAndGroups() throws {
        let m = try Self.media(
            "ssrc-group:SIM 1 2 3", "ssrc-group:FID 1 11", "ssrc:1 cname:abc", "ssrc:1 msid:stream track", "ssrc:11 cname:abc")
        #expect(m.ssrcs == [1, 11])
        #expect(m.ssrcGroups.map(\.semantics) == ["SIM", "FID"])
        #expect(m.ssrcAttributes[1] == SSRCAttribute(ssrc: 1, name: "msid", value: "stream track"))
    }

    @Test func fmtpAndFeedback() throws {
        let m = try Self.media(
            "rtpmap:96 VP8/90000", "rtcp-fb:* transport-cc", "rtcp-fb:96 nack pli", "fmtp:97 apt=96", "fmtp:96 x-google-start-bitrate=800; max-fr=30")
        #expect(m.fmtp(for: 97)["APT"] == "96")
        #expect(m.fmtp(for: 96).items.count == 2)
        #expect(m.feedback(for: 96) == [RTCPFeedback(type: "transport-cc"), .pli.with(payloadType: 96)])
        var p = FormatParameters()
        p["a"] = "1"
        p["b"] = "2"
        p["A"] = nil
        #expect(p.text == "b=2")
    }

    @Test func sessionLevelTransportAndFlags() throws {
        let text = """
            v=0\r
            o=- 1 1 IN IP4 127.0.0.1\r
            s=-\r
            t=0 0\r
            a=ice-ufrag:abcd\r
            a=ice-pwd:abcdefghijklmnopqrstuvwx\r
            a=ice-options:trickle ice2\r
            a=ice-lite\r
            a=group:BUNDLE a b\r
            m=audio 0 UDP/TLS/RTP/SAVPF 111\r
            a=mid:a\r
            a=bundle-only\r
            a=end-of-candidates\r
            m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r
            a=mid:b\r
            a=sctp-port:5000\r
            a=max-message-size:1024\r

            """
        let sdp = try SessionDescription(parsing: text)
        #expect(sdp.iceUfrag == "abcd" && sdp.iceOptions == ["trickle", "ice2"] && sdp.iceLite)
        #expect(sdp.bundleGroup == .bundle(["a", "b"]))
        #expect(sdp.media[0].bundleOnly && sdp.media[0].endOfCandidates)
        #expect(sdp.media[1].sctpPort == 5000 && sdp.media[1].maxMessageSize == 1024)
        #expect(sdp.text == text)
    }
}

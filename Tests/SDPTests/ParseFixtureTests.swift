import Testing
import SDP

@Suite struct ParseFixtureTests {
    @Test(arguments: Fixtures.names())
    func parsesAndRoundTrips(name: String) throws {
        let sdp = try Fixtures.offer(name)
        #expect(sdp.version == 0)
        #expect(!sdp.media.isEmpty)
        #expect(sdp.bundleGroup?.mids == sdp.media.compactMap(\.mid))
        for m in sdp.media {
            #expect(m.mid != nil)
            #expect(m.setup == .actpass)
            #expect(m.iceUfrag != nil && m.icePwd != nil)
            #expect(m.fingerprints.contains { $0.algorithm == "sha-256" && $0.bytes.count == 32 })
            if m.isRTP {
                #expect(m.rtcpMux)
                // Every payload type on the m= line has an rtpmap in these offers.
                #expect(m.payloadTypes.allSatisfy { m.rtpmap(for: $0) != nil })
            }
        }
        let written = sdp.text
        #expect(written.hasSuffix("\r\n"))
        #expect(!written.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        let reparsed = try SessionDescription(parsing: written)
        #expect(reparsed == sdp)
        #expect(reparsed.text == written)
    }

    @Test(arguments: Fixtures.names())
    func writesBackTheOriginalText(name: String) throws {
        // The writer keeps line order and every attribute, so browsers' text comes back byte for byte.
        let original = Fixtures.text(name)
        #expect(try Fixtures.offer(name).text == original)
    }

    @Test func lineFeedOnlyIsAccepted() throws {
        let crlf = Fixtures.text("chromium-audio-video-sendrecv.sdp")
        let lf = crlf.replacingOccurrences(of: "\r\n", with: "\n")
        #expect(try SessionDescription(parsing: lf) == SessionDescription(parsing: crlf))
    }

    @Test func chromiumAudioVideo() throws {
        let sdp = try Fixtures.offer("chromium-audio-video-sendrecv.sdp")
        #expect(sdp.media.map(\.kind) == [.audio, .video])
        #expect(sdp.extmapAllowMixed)
        let audio = sdp.media[0]
        #expect(audio.direction == .sendrecv)
        #expect(audio.rtpmap(for: 111) == RTPMap(payloadType: 111, encodingName: "opus", clockRate: 48000, channels: 2))
        #expect(audio.fmtp(for: 111)["useinbandfec"] == "1")
        #expect(audio.fmtp(for: 63).items == [FormatParameter("111/111")])
        #expect(audio.iceOptions == ["trickle"])
        let video = sdp.media[1]
        #expect(video.ssrcGroups.first?.semantics == "FID")
        #expect(video.ssrcGroups.first?.ssrcs.count == 2)
        #expect(video.ssrcAttributes.contains { $0.name == "cname" })
        #expect(video.msids.count == 1)
        #expect(video.extmaps.contains { $0.uri == HeaderExtensionURI.transportWideCC })
        #expect(video.feedback(for: 96).contains(.pli.with(payloadType: 96)))
        let candidates = audio.candidates
        #expect(candidates.count == 2)
        #expect(candidates[0].kind == .host && candidates[0].generation == 0)
        #expect(candidates[1].tcpType == "active")
        #expect(candidates[1].extensions.contains { $0.name == "network-id" })
    }

    @Test func chromiumSimulcast() throws {
        let video = try Fixtures.offer("chromium-simulcast.sdp").media[0]
        #expect(video.direction == .sendonly)
        #expect(video.rids.map(\.id) == ["q", "h", "f"])
        #expect(video.rids.allSatisfy { $0.direction == .send })
        #expect(video.simulcast?.send.map { $0.map(\.rid) } == [["q"], ["h"], ["f"]])
        #expect(video.simulcast?.recv.isEmpty == true)
    }

    @Test func dataChannelSections() throws {
        for name in ["chromium-datachannel.sdp", "aiortc-datachannel.sdp"] {
            let app = try #require(try Fixtures.offer(name).media.last)
            #expect(app.kind == .application)
            #expect(app.proto == "UDP/DTLS/SCTP")
            #expect(app.formats == ["webrtc-datachannel"])
            #expect(app.sctpPort == 5000)
            #expect(app.maxMessageSize == 262144)
        }
    }

    @Test func aiortcOfferHasCompleteCandidates() throws {
        let sdp = try Fixtures.offer("aiortc-audio-video-sendrecv.sdp")
        for m in sdp.media {
            #expect(m.endOfCandidates)
            #expect(m.fingerprints.map(\.algorithm) == ["sha-256", "sha-384", "sha-512"])
        }
    }
}

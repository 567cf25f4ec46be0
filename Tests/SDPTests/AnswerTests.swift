import Testing
import SDP

@Suite struct AnswerTests {
    /// Every captured offer is answerable, and the answer parses back to itself.
    @Test(arguments: Fixtures.names())
    func answersEveryFixture(name: String) throws {
        let offer = try Fixtures.offer(name)
        let result = try makeAnswer(to: offer, options: TestSupport.options())
        let answer = result.answer
        #expect(try SessionDescription(parsing: answer.text) == answer)
        #expect(answer.media.count == offer.media.count)
        #expect(answer.media.map(\.mid) == offer.media.map(\.mid))
        #expect(answer.bundleGroup?.mids == result.session.bundleMids)
        #expect(result.session.remoteSetup == .actpass)
        #expect(result.session.localSetup == .active)
        #expect(result.session.remoteFingerprints.first == offer.media[0].fingerprints.first)
        #expect(result.session.remoteICE.ufrag == offer.media[0].iceUfrag)
        for (o, (a, s)) in zip(offer.media, zip(answer.media, result.session.media)) {
            if o.kind == .application {
                #expect(a.port == 0 && s.rejected)
                continue
            }
            #expect(a.port == 9)
            #expect(a.setup == .active)
            #expect(a.fingerprints == [TestSupport.fingerprint])
            #expect(a.iceUfrag == "sfuU")
            #expect(a.rtcpMux)
            // Kept payload types are offered ones, with the offer's rtpmap.
            for pt in a.payloadTypes {
                #expect(o.rtpmap(for: pt)?.encodingName.lowercased() == a.rtpmap(for: pt)?.encodingName.lowercased())
            }
            // Header extension ids are the offer's.
            for e in a.extmaps { #expect(o.extmaps.contains { $0.id == e.id && $0.uri == e.uri }) }
            // Written in our order, but with redundant audio first (what a libwebrtc offerer then sends).
            let red = s.codecs.filter(\.isRED).map(\.payloadType)
            #expect(red + s.codecs.map(\.payloadType).filter { !red.contains($0) }
                == a.payloadTypes.filter { pt in s.codecs.contains { $0.payloadType == pt } })
        }
    }

    @Test func chromiumAudioVideoCodecs() throws {
        let offer = try Fixtures.offer("chromium-audio-video-sendrecv.sdp")
        let result = try makeAnswer(to: offer, options: TestSupport.options(media: ["1": LocalMediaOptions(send: TestSupport.track)]))
        let audio = try #require(result.session[mid: "0"])
        #expect(audio.direction == .recvonly)
        #expect(audio.codecs.map(\.name) == ["opus", "red"])
        #expect(audio.codecs[0].payloadType == 111)
        #expect(audio.codecs[1].payloadType == 63)
        #expect(audio.codecs[1].parameters.items == [FormatParameter("111/111")])
        #expect(result.answer.media[0].payloadTypes.first == 63, "RED first: Chromium sends with the answer's first codec")
        #expect(audio.codecs[0].feedback == [RTCPFeedback(payloadType: 111, type: "transport-cc")])
        #expect(audio.headerExtensions[HeaderExtensionURI.audioLevel] != nil)
        #expect(audio.headerExtensions[HeaderExtensionURI.mid] == offer.media[0].extmaps.first { $0.uri == HeaderExtensionURI.mid }?.id)
        #expect(audio.remoteSSRCs.count == 1)
        #expect(audio.remoteCNAME != nil)

        let video = try #require(result.session[mid: "1"])
        #expect(video.direction == .sendrecv)
        // Our preference order: VP8 (96), VP9 profile 0 (98), H.264 42e01f pm1 (108), 42001f pm1 (102), AV1 (45).
        #expect(video.codecs.map(\.payloadType) == [96, 98, 108, 102, 45])
        #expect(video.codecs.map(\.rtxPayloadType) == [97, 99, 109, 103, 46])
        #expect(video.codecs[0].feedback.count == 5)
        #expect(video.remoteRTXPairs.count == 1)
        #expect(video.localTrack == TestSupport.track)
        let section = result.answer.media[1]
        #expect(section.direction == .sendrecv)
        #expect(section.ssrcGroups == [SSRCGroup(semantics: "FID", ssrcs: [1111, 2222])])
        #expect(section.msids == [MSID(streamID: "s1", trackID: "t1")])
        #expect(result.answer.media[0].candidates.count == 1)
        #expect(result.answer.media[0].endOfCandidates)
        #expect(result.answer.media[1].candidates.isEmpty)
        #expect(result.answer.extmapAllowMixed)
        #expect(result.answer.bundleGroup?.mids == ["0", "1"])
    }

    @Test func simulcastIsAnsweredAsRecv() throws {
        let offer = try Fixtures.offer("chromium-simulcast.sdp")
        let result = try makeAnswer(to: offer, options: TestSupport.options())
        let section = result.answer.media[0]
        #expect(section.direction == .recvonly)
        #expect(section.rids.map(\.id) == ["q", "h", "f"])
        #expect(section.rids.allSatisfy { $0.direction == .recv })
        #expect(section.simulcast == Simulcast(recv: [[.init(rid: "q")], [.init(rid: "h")], [.init(rid: "f")]]))
        #expect(result.session.media[0].rids.map(\.id) == ["q", "h", "f"])
        #expect(result.answer.text.contains("a=simulcast:recv q;h;f\r\n"))
        #expect(result.session.media[0].headerExtensions[HeaderExtensionURI.rtpStreamID] == 10)
    }

    @Test func recvonlyOfferIsAnsweredSendonlyOrInactive() throws {
        let offer = try Fixtures.offer("chromium-recvonly.sdp")
        let none = try makeAnswer(to: offer, options: TestSupport.options())
        #expect(none.session.media.map(\.direction) == [.inactive, .inactive])
        let some = try makeAnswer(to: offer, options: TestSupport.options(media: ["0": LocalMediaOptions(send: TestSupport.track)]))
        #expect(some.session.media.map(\.direction) == [.sendonly, .inactive])
        #expect(some.answer.media[0].ssrcs == [1111, 2222])
    }

    @Test func dataChannelIsRejectedWithMidKept() throws {
        let offer = try Fixtures.offer("chromium-datachannel.sdp")
        let result = try makeAnswer(to: offer, options: TestSupport.options())
        let app = result.answer.media[2]
        #expect(app.port == 0)
        #expect(app.mid == "2")
        #expect(app.formats == ["webrtc-datachannel"])
        #expect(result.answer.bundleGroup?.mids == ["0", "1"])
    }

    @Test func aiortcCodecs() throws {
        let offer = try Fixtures.offer("aiortc-audio-video-sendrecv.sdp")
        let result = try makeAnswer(to: offer, options: TestSupport.options())
        #expect(result.session.media[0].codecs.map(\.payloadType) == [96])
        // aiortc offers VP8 97 (rtx 98) and H.264 42001f/42e01f pm1.
        #expect(result.session.media[1].codecs.map(\.payloadType) == [97, 101, 99])
        #expect(result.session.media[1].codecs.map(\.rtxPayloadType) == [98, 102, 100])
        #expect(result.session.remoteEndOfCandidates)
        #expect(result.session.remoteCandidates.count == 1)
    }

    @Test func directionTable() throws {
        let base = try Fixtures.offer("aiortc-audio-video-sendrecv.sdp")
        let cases: [(Direction, Bool, Bool, Direction)] = [
            (.sendrecv, true, true, .sendrecv), (.sendrecv, false, true, .recvonly),
            (.sendrecv, true, false, .sendonly), (.sendrecv, false, false, .inactive),
            (.sendonly, true, true, .recvonly), (.sendonly, true, false, .inactive),
            (.recvonly, true, true, .sendonly), (.recvonly, false, true, .inactive),
            (.inactive, true, true, .inactive),
        ]
        for (offered, send, receive, expected) in cases {
            var offer = base
            offer.media[0].replaceAttributes(where: { if case .direction = $0 { true } else { false } }, with: [.direction(offered)])
            let local = LocalMediaOptions(send: send ? TestSupport.track : nil, receive: receive)
            let result = try makeAnswer(to: offer, options: TestSupport.options(media: ["0": local]))
            #expect(result.session.media[0].direction == expected, "\(offered) send=\(send) recv=\(receive)")
            #expect(result.answer.media[0].direction == expected)
        }
    }

    @Test func setupRoles() throws {
        var offer = try Fixtures.offer("aiortc-audio-video-sendrecv.sdp")
        func setSetup(_ role: SetupRole?) {
            for i in offer.media.indices {
                offer.media[i].replaceAttributes(where: { if case .setup = $0 { true } else { false } }, with: role.map { [.setup($0)] } ?? [])
            }
        }
        setSetup(.active)
        #expect(try makeAnswer(to: offer, options: TestSupport.options()).session.localSetup == .passive)
        setSetup(.passive)
        #expect(try makeAnswer(to: offer, options: TestSupport.options()).session.localSetup == .active)
        setSetup(.holdconn)
        #expect(throws: NegotiationError.unsupportedSetupRole(mid: "0", .holdconn)) {
            try makeAnswer(to: offer, options: TestSupport.options())
        }
        setSetup(nil)
        #expect(throws: NegotiationError.unsupportedSetupRole(mid: "0", nil)) {
            try makeAnswer(to: offer, options: TestSupport.options())
        }
    }

    @Test func missingTransportParameters() throws {
        let base = try Fixtures.offer("chromium-audio-video-sendrecv.sdp")
        var offer = base
        offer.media[0].attributes.removeAll { if case .icePwd = $0 { true } else { false } }
        #expect(throws: NegotiationError.missingICECredentials(mid: "0")) { try makeAnswer(to: offer, options: TestSupport.options()) }
        offer = base
        offer.media[0].attributes.removeAll { if case .fingerprint = $0 { true } else { false } }
        #expect(throws: NegotiationError.missingFingerprint(mid: "0")) { try makeAnswer(to: offer, options: TestSupport.options()) }
        offer = base
        offer.media[1].attributes.removeAll { if case .mid = $0 { true } else { false } }
        #expect(throws: NegotiationError.missingMid(index: 1)) { try makeAnswer(to: offer, options: TestSupport.options()) }
    }

    @Test func sessionLevelTransportAttributesAreUsed() throws {
        // RFC 8839 5.4 / RFC 8122 5 allow these at session level; move them there.
        var offer = try Fixtures.offer("chromium-audio-video-sendrecv.sdp")
        func isTransport(_ a: SDPAttribute) -> Bool {
            switch a {
            case .iceUfrag, .icePwd, .fingerprint, .setup: true
            default: false
            }
        }
        offer.attributes += offer.media[0].attributes.filter(isTransport)
        for i in offer.media.indices { offer.media[i].attributes.removeAll(where: isTransport) }
        let result = try makeAnswer(to: offer, options: TestSupport.options())
        #expect(result.session.remoteICE.ufrag == "qZh3")
        #expect(result.session.remoteSetup == .actpass)
    }

    @Test func unknownBundleMidAndDuplicateMid() throws {
        var offer = try Fixtures.offer("chromium-audio-video-sendrecv.sdp")
        offer.attributes = offer.attributes.map { if case .group = $0 { .group(.bundle(["0", "1", "7"])) } else { $0 } }
        #expect(throws: NegotiationError.unknownBundleMid("7")) { try makeAnswer(to: offer, options: TestSupport.options()) }
        offer = try Fixtures.offer("chromium-audio-video-sendrecv.sdp")
        offer.media[1].replaceAttributes(where: { if case .mid = $0 { true } else { false } }, with: [.mid("0")])
        #expect(throws: NegotiationError.duplicateMid("0")) { try makeAnswer(to: offer, options: TestSupport.options()) }
    }

    @Test func withoutBundleOnlyTheFirstUsableSectionIsAccepted() throws {
        var offer = try Fixtures.offer("chromium-audio-video-sendrecv.sdp")
        offer.attributes.removeAll { if case .group = $0 { true } else { false } }
        let result = try makeAnswer(to: offer, options: TestSupport.options())
        #expect(result.answer.media.map(\.port) == [9, 0])
        #expect(result.answer.bundleGroup == nil)
        #expect(result.session.bundleMids == ["0"])
    }

    @Test func noUsableCodec() throws {
        let caps = CodecCapabilities(codecs: [Codec(kind: .audio, name: "G7221", clockRate: 16000)])
        let offer = try Fixtures.offer("chromium-audio-video-sendrecv.sdp")
        #expect(throws: NegotiationError.noUsableCodec) { try makeAnswer(to: offer, options: TestSupport.options(capabilities: caps)) }
        // Audio-only capabilities: video is rejected but the answer succeeds.
        let audioOnly = CodecCapabilities(codecs: [.opus])
        let result = try makeAnswer(to: offer, options: TestSupport.options(capabilities: audioOnly))
        #expect(result.answer.media[1].port == 0)
        #expect(result.answer.bundleGroup?.mids == ["0"])
    }

    @Test func sectionWithoutRtcpMuxIsRejected() throws {
        var offer = try Fixtures.offer("chromium-audio-video-sendrecv.sdp")
        offer.media[1].attributes.removeAll { $0 == .rtcpMux }
        let result = try makeAnswer(to: offer, options: TestSupport.options())
        #expect(result.answer.media[1].port == 0)
        #expect(result.session.media[1].rejected)
    }

    @Test func bundleOnlySectionIsAccepted() throws {
        var offer = try Fixtures.offer("chromium-audio-video-sendrecv.sdp")
        offer.media[1].port = 0
        offer.media[1].attributes.append(.bundleOnly)
        let result = try makeAnswer(to: offer, options: TestSupport.options())
        #expect(result.answer.media[1].port == 9)
        #expect(!result.answer.media[1].bundleOnly)
        // Without bundle-only, port 0 means the offerer stopped it.
        offer.media[1].attributes.removeAll { $0 == .bundleOnly }
        #expect(try makeAnswer(to: offer, options: TestSupport.options()).answer.media[1].port == 0)
    }

    @Test func iceRestartOfferCarriesNewCredentials() throws {
        let first = try Fixtures.offer("chromium-audio-video-sendrecv.sdp")
        let restart = try Fixtures.offer("chromium-ice-restart.sdp")
        let result = try makeAnswer(to: restart, options: TestSupport.options())
        #expect(result.session.remoteICE.ufrag == restart.media[0].iceUfrag)
        #expect(result.session.remoteICE.ufrag != first.media[0].iceUfrag)
        #expect(result.session.remoteCandidates.allSatisfy { $0.generation == 1 })
    }
}

import Testing
import SDP

@Suite struct OfferBuilderTests {
    static let options = OfferBuilder.Options(
        iceCredentials: TestSupport.ice, fingerprint: TestSupport.fingerprint, candidates: [TestSupport.candidate],
        gatheringComplete: true, sessionID: 7)
    static let audio = OfferBuilder.Track(
        kind: .audio, local: LocalTrack(ssrc: 10, cname: "c", streamID: "s", trackID: "a"))
    static let video = OfferBuilder.Track(
        kind: .video, local: LocalTrack(ssrc: 20, rtxSSRC: 21, cname: "c", streamID: "s", trackID: "v"))

    /// Plays the subscriber: answers our offer with the module's own answerer, as a receiver.
    static func answer(_ offer: SessionDescription) throws -> SessionDescription {
        let opts = AnswerOptions(
            iceCredentials: ICECredentials(ufrag: "peer", pwd: "peerpasswordpeerpassword"),
            fingerprint: Fingerprint(bytes: Array(repeating: 0xAB, count: 32)), sessionID: 99)
        return try makeAnswer(to: SessionDescription(parsing: offer.text), options: opts).answer
    }

    @Test func firstOffer() throws {
        var builder = OfferBuilder(options: Self.options)
        #expect(builder.addTrack(Self.audio) == "0")
        #expect(builder.addTrack(Self.video) == "1")
        let offer = try builder.createOffer()
        #expect(try SessionDescription(parsing: offer.text) == offer)
        #expect(offer.origin.sessionVersion == 1)
        #expect(offer.bundleGroup?.mids == ["0", "1"])
        #expect(offer.media.map(\.direction) == [.sendonly, .sendonly])
        #expect(offer.media.allSatisfy { $0.setup == .actpass && $0.rtcpMux })
        #expect(offer.media[0].payloadTypes == [111, 63])
        #expect(offer.media[0].fmtp(for: 63).items == [FormatParameter("111/111")])
        #expect(offer.media[0].candidates.count == 1 && offer.media[1].candidates.count == 1, "in every bundled section")
        #expect(offer.media[1].rtpmap(for: offer.media[1].payloadTypes[0])?.encodingName == "VP8")
        #expect(offer.media[1].ssrcGroups == [SSRCGroup(semantics: "FID", ssrcs: [20, 21])])
        #expect(offer.media[0].ssrcGroups.isEmpty)
        // Payload types are unique across the bundle (RFC 8843 9.1).
        let all = offer.media.flatMap(\.payloadTypes)
        #expect(Set(all).count == all.count)
        // Extension ids agree across sections.
        let mid0 = offer.media[0].extmaps.first { $0.uri == HeaderExtensionURI.mid }?.id
        #expect(mid0 != nil && mid0 == offer.media[1].extmaps.first { $0.uri == HeaderExtensionURI.mid }?.id)
    }

    @Test func applyAnswer() throws {
        var builder = OfferBuilder(options: Self.options)
        builder.addTrack(Self.audio)
        builder.addTrack(Self.video)
        let offer = try builder.createOffer()
        let session = try builder.applyAnswer(Self.answer(offer))
        #expect(session.media.map(\.direction) == [.sendonly, .sendonly])
        // In the answer's order: our answerer lists redundant audio first (what we are to send).
        #expect(session.media[0].codecs.map(\.name) == ["red", "opus"])
        #expect(session.media[1].codecs.first?.name == "VP8")
        #expect(session.media[1].codecs.first?.rtxPayloadType != nil)
        #expect(session.media[1].localTrack == Self.video.local)
        #expect(session.remoteSetup == .active && session.localSetup == .passive)
        #expect(session.remoteICE.ufrag == "peer")
        #expect(session.bundleMids == ["0", "1"])
        #expect(builder.negotiated == session)
        #expect(throws: NegotiationError.noPendingOffer) { try builder.applyAnswer(Self.answer(offer)) }
    }

    @Test func removeThenRecycle() throws {
        var builder = OfferBuilder(options: Self.options)
        builder.addTrack(Self.audio)
        builder.addTrack(Self.video)
        _ = try builder.applyAnswer(Self.answer(builder.createOffer()))

        try builder.removeTrack(mid: "1")
        // Not yet confirmed: a new track cannot take the slot.
        let offer2 = try builder.createOffer()
        #expect(offer2.origin.sessionVersion == 2)
        #expect(offer2.media[1].port == 0)
        #expect(offer2.media[1].direction == .inactive)
        #expect(offer2.media[1].mid == "1")
        #expect(offer2.bundleGroup?.mids == ["0"])
        let session2 = try builder.applyAnswer(Self.answer(offer2))
        #expect(session2.media[1].rejected)

        // The stopped video slot is recycled for an audio track with a fresh mid.
        #expect(builder.addTrack(Self.audio) == "2")
        let offer3 = try builder.createOffer()
        #expect(offer3.origin.sessionVersion == 3)
        #expect(offer3.media.count == 2)
        #expect(offer3.media[1].kind == .audio && offer3.media[1].port == 9 && offer3.media[1].mid == "2")
        #expect(offer3.bundleGroup?.mids == ["0", "2"])
        let session3 = try builder.applyAnswer(Self.answer(offer3))
        #expect(session3.media.map(\.mid) == ["0", "2"])
        #expect(session3.media.map(\.rejected) == [false, false])
    }

    @Test func slotIsNotRecycledBeforeTheAnswer() throws {
        var builder = OfferBuilder(options: Self.options)
        builder.addTrack(Self.video)
        _ = try builder.applyAnswer(Self.answer(builder.createOffer()))
        try builder.removeTrack(mid: "0")
        builder.addTrack(Self.audio)
        let offer = try builder.createOffer()
        #expect(offer.media.map(\.port) == [0, 9])
        #expect(offer.media.map(\.mid) == ["0", "1"])
        #expect(throws: NegotiationError.unknownMid("0")) { try builder.removeTrack(mid: "0") }
    }

    @Test func answerValidation() throws {
        var builder = OfferBuilder(options: Self.options)
        builder.addTrack(Self.audio)
        builder.addTrack(Self.video)
        let offer = try builder.createOffer()
        let good = try Self.answer(offer)

        var short = good
        short.media.removeLast()
        #expect(throws: NegotiationError.answerMediaCountMismatch(expected: 2, actual: 1)) { try builder.applyAnswer(short) }

        var wrongMid = good
        wrongMid.media[1].replaceAttributes(where: { if case .mid = $0 { true } else { false } }, with: [.mid("x")])
        #expect(throws: NegotiationError.answerMidMismatch(index: 1)) { try builder.applyAnswer(wrongMid) }

        var foreignPT = good
        foreignPT.media[0].formats.append("5")
        #expect(throws: NegotiationError.answerCodecNotOffered(mid: "0", payloadType: 5)) { try builder.applyAnswer(foreignPT) }

        var actpass = good
        for i in actpass.media.indices {
            actpass.media[i].replaceAttributes(where: { if case .setup = $0 { true } else { false } }, with: [.setup(.actpass)])
        }
        #expect(throws: NegotiationError.unsupportedSetupRole(mid: "0", .actpass)) { try builder.applyAnswer(actpass) }

        #expect(try builder.applyAnswer(good).media.count == 2)
    }

    @Test func restrictedCodecs() throws {
        var builder = OfferBuilder(options: Self.options)
        var track = Self.video
        track.codecs = [.h264(profileLevelID: "42e01f")]
        builder.addTrack(track)
        let offer = try builder.createOffer()
        let names = offer.media[0].payloadTypes.compactMap { offer.media[0].rtpmap(for: $0)?.encodingName }
        #expect(names == ["H264", "rtx"])
    }
}

import Foundation
import Testing
import SDP

/// Our descriptions against a real browser. `Fixtures/capture_chromium_interop.py` drives
/// Chromium and calls the two environment-gated tests below through the test binary; what
/// Chromium answered is committed under Fixtures/interop and checked by the last test.
@Suite struct InteropTests {
    static let environment = ProcessInfo.processInfo.environment

    /// The options the interop run answers with: we send a track back on every video section.
    static func interopOptions(for offer: SessionDescription) -> AnswerOptions {
        var media: [String: LocalMediaOptions] = [:]
        for (i, m) in offer.media.enumerated() where m.kind == .video {
            let ssrc = UInt32(5000 + 10 * i)
            media[m.mid ?? ""] = LocalMediaOptions(
                send: LocalTrack(ssrc: ssrc, rtxSSRC: ssrc + 1, cname: "sfu", streamID: "sfu-stream", trackID: "sfu-video-\(i)"))
        }
        return TestSupport.options(media: media)
    }

    /// The server offer Chromium was asked to answer: audio and video, a removed video, a recycled slot.
    static func sfuOffer() throws -> (OfferBuilder, SessionDescription) {
        var builder = OfferBuilder(options: OfferBuilder.Options(
            iceCredentials: TestSupport.ice, fingerprint: TestSupport.fingerprint, candidates: [TestSupport.candidate],
            gatheringComplete: true, sessionID: 1234))
        builder.addTrack(.init(kind: .audio, local: LocalTrack(ssrc: 100, cname: "sfu", streamID: "s", trackID: "a")))
        builder.addTrack(.init(kind: .video, local: LocalTrack(ssrc: 200, rtxSSRC: 201, cname: "sfu", streamID: "s", trackID: "v")))
        let offer = try builder.createOffer()
        return (builder, offer)
    }

    @Test(.enabled(if: environment["SDP_INTEROP_OFFER"] != nil))
    func answerOfferFromEnvironment() throws {
        let offer = try SessionDescription(parsing: String(contentsOfFile: Self.environment["SDP_INTEROP_OFFER"]!, encoding: .utf8))
        let answer = try makeAnswer(to: offer, options: Self.interopOptions(for: offer)).answer
        try answer.text.write(toFile: Self.environment["SDP_INTEROP_ANSWER"]!, atomically: true, encoding: .utf8)
    }

    @Test(.enabled(if: environment["SDP_INTEROP_SFU_OFFER"] != nil))
    func writeSFUOffer() throws {
        try Self.sfuOffer().1.text.write(toFile: Self.environment["SDP_INTEROP_SFU_OFFER"]!, atomically: true, encoding: .utf8)
    }

    @Test func chromiumAnswerToOurOffer() throws {
        var (builder, offer) = try Self.sfuOffer()
        #expect(offer.text == Fixtures.text("interop/sfu-offer.sdp"))
        let answer = try SessionDescription(parsing: Fixtures.text("interop/chromium-answer-to-sfu-offer.sdp"))
        let session = try builder.applyAnswer(answer)
        #expect(session.media.map(\.direction) == [.sendonly, .sendonly])
        #expect(session.media.map(\.rejected) == [false, false])
        #expect(session.media[0].codecs.first?.name == "opus")
        #expect(session.media[1].codecs.first?.rtxPayloadType != nil)
        #expect(session.remoteSetup == .active)
        #expect(session.localSetup == .passive)
        #expect(session.bundleMids == ["0", "1"])
    }
}

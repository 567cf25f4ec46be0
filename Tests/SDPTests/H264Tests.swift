import Testing
import SDP

/// RFC 6184 8.1 profile-level-id parsing and 8.2.2 matching.
@Suite struct H264Tests {
    static func h264(_ id: String?, mode: Int? = 1, asymmetry: Bool = true) -> Codec {
        var p = FormatParameters()
        if asymmetry { p["level-asymmetry-allowed"] = "1" }
        if let mode { p["packetization-mode"] = String(mode) }
        if let id { p["profile-level-id"] = id }
        return Codec(kind: .video, name: "H264", clockRate: 90000, parameters: p)
    }

    @Test(arguments: [
        ("42e01f", H264Parameters.Profile.constrainedBaseline, UInt8(31)),
        ("42001f", .baseline, 31), ("4d001f", .main, 31), ("4d801f", .constrainedBaseline, 31),
        ("640c34", .constrainedHigh, 52), ("640034", .high, 52), ("f4001f", .predictiveHigh444, 31),
        ("42f00b", .constrainedBaseline, 0),  // level 1b: level_idc 11 with constraint_set3
    ])
    func profiles(id: String, profile: H264Parameters.Profile, level: UInt8) {
        let p = H264Parameters(FormatParameters([FormatParameter("profile-level-id", id)]))
        #expect(p.profile == profile)
        #expect(p.level == level)
    }

    @Test func invalidProfileLevelIDMatchesNothing() {
        #expect(H264Parameters(["profile-level-id": "zzzzzz"]).profile == nil)
        #expect(H264Parameters(["profile-level-id": "42e0"]).profile == nil)
        #expect(!Self.h264("zzzzzz").matches(Self.h264("zzzzzz")))
    }

    @Test func matchingRules() {
        // Same profile, different level: compatible (the level is answered, not matched).
        #expect(Self.h264("42e01f").matches(Self.h264("42e034")))
        // Constrained Baseline vs Baseline are different profiles.
        #expect(!Self.h264("42e01f").matches(Self.h264("42001f")))
        // packetization-mode must match; absent means 0 (RFC 6184 8.1).
        #expect(!Self.h264("42e01f", mode: 1).matches(Self.h264("42e01f", mode: 0)))
        #expect(Self.h264("42e01f", mode: 0).matches(Self.h264("42e01f", mode: nil)))
        // Absent profile-level-id means 420010, Baseline.
        #expect(Self.h264(nil).matches(Self.h264("42000a")))
        #expect(!Self.h264(nil).matches(Self.h264("42e01f")))
    }

    @Test func answeredLevel() {
        let offer = H264Parameters(["profile-level-id": "42e034", "level-asymmetry-allowed": "1"])
        let local = H264Parameters(["profile-level-id": "42e01f", "level-asymmetry-allowed": "1"])
        #expect(H264Parameters.answerLevel(offer: offer, local: local) == 31)
        let strict = H264Parameters(["profile-level-id": "42e034"])
        #expect(H264Parameters.answerLevel(offer: strict, local: local) == 31)
        let low = H264Parameters(["profile-level-id": "42e00b"])
        #expect(H264Parameters.answerLevel(offer: low, local: local) == 11)
        #expect(H264Parameters.profileLevelID("42e01f", withLevel: 52) == "42e034")
        #expect(H264Parameters.profileLevelID("42e01f", withLevel: 0) == "42f00b")
    }

    @Test func answerKeepsOfferedPayloadTypeAndRewritesLevel() throws {
        var offer = try Fixtures.offer("chromium-audio-video-sendrecv.sdp")
        // Offer only H.264 Constrained Baseline level 5.2 without asymmetry.
        offer.media[1].formats = ["108", "109"]
        offer.media[1].replaceAttributes(
            where: { if case .fmtp(let f) = $0, f.payloadType == 108 { true } else { false } },
            with: [.fmtp(FMTP(payloadType: 108, parameters: ["packetization-mode": "1", "profile-level-id": "42e034"]))])
        let result = try makeAnswer(to: offer, options: TestSupport.options())
        let codec = try #require(result.session.media[1].codecs.first)
        #expect(codec.payloadType == 108 && codec.rtxPayloadType == 109)
        #expect(codec.parameters["profile-level-id"] == "42e01f")
    }

    @Test func vp9AndAV1Profiles() {
        #expect(Codec.vp9(profileID: 0).matches(Codec(kind: .video, name: "vp9", clockRate: 90000)))
        #expect(!Codec.vp9(profileID: 0).matches(Codec.vp9(profileID: 2)))
        #expect(Codec.av1().matches(Codec(kind: .video, name: "AV1", clockRate: 90000, parameters: ["level-idx": "5", "profile": "0"])))
        #expect(!Codec.av1(profile: 0).matches(Codec.av1(profile: 1)))
        #expect(!Codec.opus.matches(Codec(kind: .audio, name: "opus", clockRate: 48000)))
    }
}

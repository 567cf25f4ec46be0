import Foundation
import SDP
import Testing
@testable import SFU

/// Which codec a publisher's offer gets, with Chromium's real offer (Tests/SDPTests/Fixtures)
/// reordered as `setCodecPreferences` reorders it.
@Suite struct CodecChoiceTests {
    static let chromiumOffer: String = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../SDPTests/Fixtures/chromium-audio-video-sendrecv.sdp")
        return (try? String(contentsOf: url, encoding: .utf8)) ?? ""
    }()
    static let videoLine = "m=video 46619 UDP/TLS/RTP/SAVPF 96 97 102 103 104 107 108 109 114 115 116 117 39 40 45 46 98 99 100 101 118 119 120"

    func chosen(videoFormats: String?, audioFormats: String? = nil) throws -> [String] {
        var text = Self.chromiumOffer
        #expect(text.contains(Self.videoLine), "the fixture changed")
        if let videoFormats { text = text.replacingOccurrences(of: Self.videoLine, with: "m=video 46619 UDP/TLS/RTP/SAVPF \(videoFormats)") }
        if let audioFormats {
            text = text.replacingOccurrences(of: "m=audio 58790 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126",
                                             with: "m=audio 58790 UDP/TLS/RTP/SAVPF \(audioFormats)")
        }
        let offer = try SessionDescription(parsing: text)
        return PublisherConnection.chooseCodecs(offer: offer, capabilities: .default).codecs.map {
            $0.name + ($0.parameters["profile-level-id"].map { " " + $0 } ?? "")
        }
    }

    @Test func chromiumsOwnOrderGivesVP8() throws {
        #expect(try chosen(videoFormats: nil) == ["opus", "VP8"])
    }

    @Test func thePublishersFirstSupportedCodecIsTaken() throws {
        #expect(try chosen(videoFormats: "98 99 96 97 45 46") == ["opus", "VP9"])
        #expect(try chosen(videoFormats: "45 46 96 97") == ["opus", "AV1"])
        #expect(try chosen(videoFormats: "108 109 96 97") == ["opus", "H264 42e01f"])
        #expect(try chosen(videoFormats: "102 103 96 97") == ["opus", "H264 42001f"])
    }

    @Test func codecsWeDoNotForwardAreSkipped() throws {
        // VP9 profile 2 (10-bit), H.264 Main, packetization mode 0, RTX and RED are not ours.
        #expect(try chosen(videoFormats: "100 101 116 117 104 107 118 119 98 99 96 97") == ["opus", "VP9"])
        // RED first in audio: Opus is taken.
        #expect(try chosen(videoFormats: nil, audioFormats: "63 111 9 0") == ["opus", "VP8"])
        #expect(try chosen(videoFormats: "100 101 118") == ["opus"])
    }
}

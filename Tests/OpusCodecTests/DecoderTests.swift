import TestSupport
import OpusCodec
import Testing

@Suite("Decoder: loss concealment, reset, hostile input")
struct DecoderTests {
    @Test func concealmentFillsTheLostDuration() throws {
        let encoder = try OpusEncoder()
        let decoder = try OpusDecoder()
        var tone = ToneGenerator(frequency: 440)
        _ = try decodeAll(try encodeFrames(&tone, frames: 10, with: encoder), with: decoder)

        #expect(try decoder.concealLoss().count == 960)
        #expect(try decoder.concealLoss(samplesPerChannel: 480).count == 480)
        #expect(try decoder.concealLoss(samplesPerChannel: 2_880).count == 2_880)

        // Concealment right after a tone continues it rather than going silent.
        let concealed = try decoder.concealLoss()
        #expect(concealed.contains { $0 != 0 })

        // The caller-buffer form, stereo: the count is per channel.
        let stereo = try OpusDecoder(channels: .stereo)
        var buffer = [Int16](repeating: 0, count: 2 * 960)
        let produced = try buffer.withUnsafeMutableBufferPointer { try stereo.concealLoss(into: $0) }
        #expect(produced == 960)
    }

    @Test func concealmentRejectsDurationsThatAreNotMultiplesOf2_5ms() throws {
        let decoder = try OpusDecoder()
        #expect(throws: OpusError.badArgument) { try decoder.concealLoss(samplesPerChannel: 100) }
        #expect(throws: OpusError.badArgument) { try decoder.concealLoss(samplesPerChannel: 0) }
    }

    @Test func decodingContinuesAfterLossAndReset() throws {
        let encoder = try OpusEncoder()
        let decoder = try OpusDecoder()
        var tone = ToneGenerator(frequency: 1_000)
        let packets = try encodeFrames(&tone, frames: 50, with: encoder)
        var pcm: [Int16] = []
        for (index, packet) in packets.enumerated() {
            pcm += index % 10 == 5 ? try decoder.concealLoss() : try decoder.decode(packet: packet)
        }
        #expect(pcm.count == 48_000)
        #expect(FrequencyEstimator().analyze(Array(pcm.dropFirst(4_800))).isTone(at: 1_000, minimumPurity: 0.5))

        decoder.reset()
        #expect(try decoder.decode(packet: packets[49]).count == 960)
    }

    @Test func emptyPacketIsInvalidNotALoss() throws {
        let decoder = try OpusDecoder()
        #expect(throws: OpusError.invalidPacket) { try decoder.decode(packet: []) }
    }

    /// Packets that break RFC 6716 section 3.2's framing rules (R1-R7), each rejected by libopus.
    @Test(arguments: [
        [0x01, 0x00, 0x00, 0x00],  // code 1 (two equal frames): odd payload length (R3)
        [0x02, 0xFC],  // code 2: frame length byte announces more than follows (R4)
        [0x02],  // code 2: no frame length at all (R4)
        [0x03],  // code 3: no frame count byte (R6)
        [0x03, 0x00],  // code 3: zero frames (R5)
        [0x03, 0x31] + [UInt8](repeating: 0, count: 60),  // code 3: 49 frames of 20 ms = 980 ms > 120 ms (R5)
        [0x03, 0x82, 0x05],  // code 3 VBR: two frames, first 5 bytes long, nothing follows (R6)
        [0x03, 0x43],  // code 3 CBR with padding flag, padding length missing (R7)
    ] as [[UInt8]])
    func malformedFramingIsRejected(packet: [UInt8]) throws {
        let decoder = try OpusDecoder()
        #expect(throws: OpusError.invalidPacket) { try decoder.decode(packet: packet) }
    }

    /// A real two-frame packet (code 2, RFC 6716 section 3.2.4) decodes whole, and every truncation
    /// that cuts into its declared first frame is refused.
    @Test func truncatedPacketsAreRejected() throws {
        let encoder = try OpusEncoder(bitrate: 64_000)
        var tone = ToneGenerator(frequency: 440)
        let frames = try encodeFrames(&tone, frames: 2, with: encoder)
        let first = frames[0].dropFirst()  // both frames share the TOC configuration
        let second = frames[1].dropFirst()
        let header = [frames[0][0] & 0xFC | 0x02] + frameLength(first.count)
        let packet = header + first + second

        #expect(try OpusDecoder().decode(packet: packet).count == 1_920)
        for length in 2..<(header.count + first.count) {
            let decoder = try OpusDecoder()
            #expect(throws: OpusError.invalidPacket, "length \(length)") {
                try decoder.decode(packet: Array(packet.prefix(length)))
            }
        }
    }

    /// RFC 6716 section 3.2.1: one byte below 252, otherwise two (252 + low bits, then the rest / 4).
    private func frameLength(_ length: Int) -> [UInt8] {
        guard length >= 252 else { return [UInt8(length)] }
        let first = 252 + (length - 252) % 4
        return [UInt8(first), UInt8((length - first) / 4)]
    }

    @Test func packetLongerThanTheBufferIsRefused() throws {
        let decoder = try OpusDecoder()
        // TOC config 3: SILK-only NB 60 ms, code 0; a 20 ms buffer cannot hold it.
        var pcm = [Int16](repeating: 0, count: 960)
        let packet: [UInt8] = [0x18, 0x00, 0x00]
        #expect(throws: OpusError.bufferTooSmall) {
            try packet.withUnsafeBytes { bytes in
                try pcm.withUnsafeMutableBufferPointer { try decoder.decode(packet: bytes, into: $0) }
            }
        }
        #expect(try decoder.decode(packet: packet).count == 2_880)
    }

    /// Random bytes: every outcome is either audio of a legal duration or a typed error, never a
    /// crash or an out-of-range count. Many random packets are valid Opus (any TOC byte is legal and
    /// the range decoder accepts any payload), so both outcomes must occur.
    @Test func randomBytesNeverCrash() throws {
        var random = SplitMix64(seed: 0x5EED_0F_0905)
        var decoded = 0
        var rejected = 0
        for channels in OpusChannels.allCases {
            let decoder = try OpusDecoder(channels: channels)
            for _ in 0..<1_000 {
                let length = Int.random(in: 1...400, using: &random)
                let packet = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
                do {
                    let pcm = try decoder.decode(packet: packet)
                    let perChannel = pcm.count / channels.rawValue
                    #expect(pcm.count % channels.rawValue == 0)
                    #expect(perChannel % 120 == 0 && perChannel <= OpusFormat.maxSamplesPerChannelPerPacket)
                    decoded += 1
                } catch {
                    #expect(error == .invalidPacket, "\(error)")
                    rejected += 1
                }
            }
        }
        #expect(decoded > 0)
        #expect(rejected > 0)
    }
}

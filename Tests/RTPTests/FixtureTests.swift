import Foundation
import Testing
@testable import RTP

/// Real packets: every .bin under Fixtures must parse, and aiortc's must carry the values its
/// manifest lists (see Fixtures/make_aiortc_fixtures.py).
@Suite struct FixtureTests {
    @Test func everyFixtureParses() throws {
        let packets = try Fixtures.allPackets()
        #expect(packets.count >= 17)
        for (name, bytes) in packets {
            try withBytes(bytes) { buffer in
                switch PacketDemultiplexer.classify(buffer) {
                case .rtp:
                    let packet = try RTPPacket(buffer)
                    for element in packet.headerExtensions ?? RTPHeaderExtensions(profile: 0, data: .init(start: nil, count: 0), baseOffset: 0) {
                        #expect(element.range.upperBound <= packet.headerLength, "\(name)")
                    }
                case .rtcp:
                    var count = 0
                    for packet in try RTCPCompound(buffer) {
                        try parseKnownRTCP(packet)
                        count += 1
                    }
                    #expect(count > 0, "\(name)")
                case let other:
                    Issue.record("\(name): classified as \(other)")
                }
            }
        }
    }

    @Test func aiortcRTPPacketsMatchManifest() throws {
        for entry in try Fixtures.aiortcManifest() {
            guard case .rtp(let expect) = entry.expect else { continue }
            let bytes = try Fixtures.bytes("aiortc/" + entry.file)
            #expect(bytes.count == entry.length)
            try withBytes(bytes) { buffer in
                let packet = try RTPPacket(buffer)
                #expect(packet.version == 2)
                #expect(packet.payloadType == expect.payloadType, "\(entry.file)")
                #expect(packet.marker == expect.marker, "\(entry.file)")
                #expect(packet.sequenceNumber == expect.sequenceNumber, "\(entry.file)")
                #expect(packet.timestamp == expect.timestamp, "\(entry.file)")
                #expect(packet.ssrc == expect.ssrc, "\(entry.file)")
                #expect((0..<packet.csrcCount).map(packet.csrc(at:)) == expect.csrcs, "\(entry.file)")
                #expect(packet.payload.count == expect.payloadLength, "\(entry.file)")
                #expect(packet.paddingLength == expect.paddingLength, "\(entry.file)")
                let extensions = expect.extensions
                #expect(packet.hasExtension == (extensions.mid != nil || extensions.audioLevel != nil))
                #expect(packet.headerExtensions.map { $0.form == .oneByte } ?? true)
                if let level = extensions.audioLevel {
                    let value = AudioLevelExtension.read(packet.headerExtension(id: level.id)!)
                    #expect(value?.voiceActivity == level.voice)
                    #expect(value?.level == level.level)
                }
                if let mid = extensions.mid {
                    #expect(string(packet.headerExtension(id: mid.id)) == mid.value)
                }
                if let rid = extensions.rtpStreamId {
                    #expect(string(packet.headerExtension(id: rid.id)) == rid.value)
                }
                if let time = extensions.absSendTime {
                    #expect(AbsoluteSendTimeExtension.read(packet.headerExtension(id: time.id)!) == time.value)
                }
                if let sequence = extensions.transportSequenceNumber {
                    #expect(TransportSequenceNumberExtension.read(packet.headerExtension(id: sequence.id)!) == sequence.value)
                }
                if let original = expect.rtxOriginalSequenceNumber {
                    #expect(try RTX.originalSequenceNumber(of: packet) == original)
                }
            }
        }
    }

    @Test func aiortcRTXUnwrapsToTheOriginal() throws {
        let original = try Fixtures.bytes("aiortc/rtp-vp8-3.bin")
        let rtx = try Fixtures.bytes("aiortc/rtp-vp8-rtx.bin")
        let unwrapped = try withBytes(rtx) { buffer in
            let packet = try RTPPacket(buffer)
            return try written { out throws(RTPWriteError) in
                try RTX.unwrap(packet, originalSSRC: 0xCAFE_BABE, originalPayloadType: 96, into: out)
            }
        }
        #expect(unwrapped == original)
        let wrapped = try withBytes(original) { buffer in
            let packet = try RTPPacket(buffer)
            return try written { out throws(RTPWriteError) in
                try RTX.wrap(packet, rtxSSRC: 0xDEAD_BEEF, rtxPayloadType: 97, rtxSequenceNumber: 500, into: out)
            }
        }
        #expect(wrapped == rtx)
    }

    @Test func aiortcRTCPPacketsMatchManifest() throws {
        for entry in try Fixtures.aiortcManifest() {
            guard case .rtcp(let expectations) = entry.expect else { continue }
            let bytes = try Fixtures.bytes("aiortc/" + entry.file)
            try withBytes(bytes) { buffer in
                let packets = Array(try RTCPCompound(buffer))
                #expect(packets.count == expectations.count, "\(entry.file)")
                for (packet, expect) in zip(packets, expectations) {
                    try check(packet, expect, entry.file)
                    try checkRewrite(packet, expect)
                }
            }
        }
    }

    /// Each parsed aiortc packet, written again by our writer, gives aiortc's bytes.
    func checkRewrite(_ packet: RTCPPacket, _ expect: Fixtures.RTCPExpectation) throws {
        let original = Array(packet.bytes)
        let rewritten: [UInt8]
        switch expect.type {
        case "sr":
            let sr = try SenderReport(packet)
            rewritten = try written { out throws(RTPWriteError) in
                try SenderReport.write(
                    ssrc: sr.ssrc, ntpTime: sr.ntpTime, rtpTimestamp: sr.rtpTimestamp, packetCount: sr.packetCount,
                    octetCount: sr.octetCount, reports: sr.reports, into: out)
            }
        case "rr":
            let rr = try ReceiverReport(packet)
            rewritten = try written { out throws(RTPWriteError) in try ReceiverReport.write(ssrc: rr.ssrc, reports: rr.reports, into: out) }
        case "sdes":
            let sdes = try SourceDescription(packet)
            rewritten = try written { out throws(RTPWriteError) in
                var writer = try SourceDescriptionWriter(into: out)
                for chunk in sdes {
                    try writer.beginChunk(ssrc: chunk.ssrc)
                    for item in chunk { try writer.appendItem(type: item.type, value: item.value) }
                }
                return try writer.finish()
            }
        case "bye":
            let bye = try Goodbye(packet)
            let sources = (0..<bye.sourceCount).map(bye.source(at:))
            rewritten = try written { out throws(RTPWriteError) in try Goodbye.write(sources: sources, into: out) }
        case "nack":
            let nack = try GenericNACK(packet)
            rewritten = try written { out throws(RTPWriteError) in
                try GenericNACK.write(senderSSRC: nack.senderSSRC, mediaSSRC: nack.mediaSSRC, lost: nack.makeLostSequenceNumberArray(), into: out)
            }
        case "pli":
            let pli = try PictureLossIndication(packet)
            rewritten = try written { out throws(RTPWriteError) in
                try PictureLossIndication.write(senderSSRC: pli.senderSSRC, mediaSSRC: pli.mediaSSRC, into: out)
            }
        case "fir":
            let fir = try FullIntraRequest(packet)
            rewritten = try written { out throws(RTPWriteError) in try FullIntraRequest.write(senderSSRC: fir.senderSSRC, entries: Array(fir), into: out) }
        case "remb":
            let remb = try ReceiverEstimatedMaxBitrate(packet)
            let ssrcs = (0..<remb.ssrcCount).map(remb.ssrc(at:))
            rewritten = try written { out throws(RTPWriteError) in
                try ReceiverEstimatedMaxBitrate.write(senderSSRC: remb.senderSSRC, bitrate: remb.bitrate, ssrcs: ssrcs, into: out)
            }
        default:
            Issue.record("unknown type \(expect.type)")
            return
        }
        #expect(rewritten == original, "\(expect.type)")
    }

    func check(_ packet: RTCPPacket, _ expect: Fixtures.RTCPExpectation, _ file: String) throws {
        switch expect.type {
        case "sr":
            let sr = try SenderReport(packet)
            #expect(sr.ssrc == expect.ssrc)
            #expect(sr.ntpTime.rawValue == expect.ntpTimestamp)
            #expect(sr.rtpTimestamp == expect.rtpTimestamp)
            #expect(sr.packetCount == expect.packetCount)
            #expect(sr.octetCount == expect.octetCount)
            #expect(Array(sr.reports) == expect.reports?.map(\.value))
        case "rr":
            let rr = try ReceiverReport(packet)
            #expect(rr.ssrc == expect.ssrc)
            #expect(Array(rr.reports) == expect.reports?.map(\.value))
        case "sdes":
            let sdes = try SourceDescription(packet)
            let chunks = sdes.map { ($0.ssrc, string($0.cname) ?? "") }
            #expect(chunks.map(\.0) == expect.chunks?.map(\.ssrc))
            #expect(chunks.map(\.1) == expect.chunks?.map(\.cname))
        case "bye":
            let bye = try Goodbye(packet)
            #expect((0..<bye.sourceCount).map(bye.source(at:)) == expect.sources)
            #expect(bye.reason == nil)
        case "nack":
            let nack = try GenericNACK(packet)
            #expect(nack.senderSSRC == expect.senderSSRC)
            #expect(nack.mediaSSRC == expect.mediaSSRC)
            #expect(nack.makeLostSequenceNumberArray() == expect.lost)
        case "pli":
            let pli = try PictureLossIndication(packet)
            #expect(pli.senderSSRC == expect.senderSSRC)
            #expect(pli.mediaSSRC == expect.mediaSSRC)
        case "fir":
            let fir = try FullIntraRequest(packet)
            #expect(fir.senderSSRC == expect.senderSSRC)
            #expect(Array(fir) == expect.entries?.map { FullIntraRequestEntry(ssrc: $0.ssrc, sequenceNumber: $0.sequenceNumber) })
        case "remb":
            let remb = try ReceiverEstimatedMaxBitrate(packet)
            #expect(remb.senderSSRC == expect.senderSSRC)
            #expect(remb.bitrate == expect.bitrate)
            #expect((0..<remb.ssrcCount).map(remb.ssrc(at:)) == expect.ssrcs)
        default:
            Issue.record("\(file): unknown type \(expect.type)")
        }
    }
}

/// Parses a packet with the parser its type and FMT call for; unknown types are fine.
func parseKnownRTCP(_ packet: RTCPPacket) throws(RTPParseError) {
    switch (packet.packetType, packet.count) {
    case (.senderReport, _): _ = Array(try SenderReport(packet).reports)
    case (.receiverReport, _): _ = Array(try ReceiverReport(packet).reports)
    case (.sourceDescription, _): for chunk in try SourceDescription(packet) { for _ in chunk {} }
    case (.goodbye, _): _ = try Goodbye(packet).reason
    case (.transportFeedback, RTCPFeedback.Format.genericNACK): for _ in try GenericNACK(packet) {}
    case (.transportFeedback, RTCPFeedback.Format.transportWideCC): for _ in try TransportWideFeedback(packet) {}
    case (.payloadFeedback, RTCPFeedback.Format.pictureLossIndication): _ = try PictureLossIndication(packet)
    case (.payloadFeedback, RTCPFeedback.Format.fullIntraRequest): for _ in try FullIntraRequest(packet) {}
    case (.payloadFeedback, RTCPFeedback.Format.applicationLayer): _ = try ReceiverEstimatedMaxBitrate(packet).bitrate
    default: break
    }
}

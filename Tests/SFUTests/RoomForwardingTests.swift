import Foundation
import RTP
import SDP
@testable import SFU
import Testing
import Transport

/// Publishers and subscribers through the SFU core in one process, over loopback UDP with the
/// project's own ICE/DTLS/SRTP (the interop tests repeat this with aiortc and Chromium).
@Suite(.serialized) struct RoomForwardingTests {
    static let ice = ICEConfiguration(portRange: 42000...42999, bindAddresses: ["127.0.0.1"])
    static let clientWorkers = MediaWorkerPool(count: 1)
    static let clientContext: DTLSContext = try! DTLSContext(certificate: try! DTLSCertificate.generate())

    static func makeService() throws -> SFURoomService {
        try SFURoomService(configuration: SFUConfiguration(workers: 2, ice: ice, resumeGraceMilliseconds: 300))
    }

    static func participant(_ service: SFURoomService) -> TestParticipant {
        TestParticipant(service: service, worker: clientWorkers.workers[0], context: clientContext, ice: ice)
    }

    static func eventually(_ seconds: Double = 5, _ condition: () async -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return await condition()
    }

    static func waitUntil(_ seconds: Double = 10, _ condition: () -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    @Test func audioFromOnePublisherReachesALateSubscriberRewritten() async throws {
        let service = try Self.makeService()
        let alice = Self.participant(service)
        let bob = Self.participant(service)
        try await alice.join(room: "forwarding", identity: "alice")
        let ssrc: UInt32 = 0x0A11_CE00
        let payloadType = try await alice.publishAudio(ssrc: ssrc)
        #expect(await Self.waitUntil { alice.publisherConnected }, "alice's publisher connected: \(alice.events)")

        try await bob.join(room: "forwarding", identity: "bob")
        #expect(bob.joined?.participants.map(\.identity) == ["alice"])
        #expect(bob.joined?.participants.first?.tracks.count == 1)
        #expect(await Self.waitUntil { bob.subscriberConnected }, "bob's subscriber connected: \(bob.events)")
        guard case .subscriberOffer(_, _, let tracks)? = bob.events.first(where: { if case .subscriberOffer = $0 { true } else { false } })
        else {
            Issue.record("bob got no subscriber offer: \(bob.events)")
            return
        }
        #expect(tracks.count == 1 && tracks[0].kind == .audio && tracks[0].participantID == alice.joined?.participantID)
        #expect(alice.events.contains { if case .participantJoined(let p) = $0 { p.identity == "bob" } else { false } })

        try alice.sendAudio(count: 50, ssrc: ssrc, payloadType: payloadType)
        #expect(await Self.waitUntil { bob.received.count >= 45 }, "bob received \(bob.received.count)")
        let received = bob.received
        // Rewritten: another SSRC (the one bob's offer declared), consecutive sequence numbers.
        #expect(Set(received.map(\.ssrc)).count == 1)
        #expect(received.first?.ssrc != ssrc)
        for (a, b) in zip(received, received.dropFirst()) where b.sequence != a.sequence &+ 1 {
            Issue.record("sequence gap \(a.sequence) -> \(b.sequence) with no loss on loopback")
            break
        }
        #expect(received.first?.payload.count == 80)

        // Bob leaves: alice is told, and the room empties once alice goes too.
        await service.leave(participantID: bob.joined!.participantID, reason: .left)
        #expect(await Self.waitUntil { alice.events.contains { if case .participantLeft(_, .left) = $0 { true } else { false } } })
        await service.leave(participantID: alice.joined!.participantID, reason: .left)
        let counts = await service.counts()
        #expect(counts.rooms == 0 && counts.participants == 0)
        try alice.close()
        try bob.close()
        await service.shutdown()
    }

    @Test func videoSubscribersGetRetransmissionsKeyframeRequestsAndReports() async throws {
        let service = try Self.makeService()
        let alice = Self.participant(service)
        let bob = Self.participant(service)
        try await alice.join(room: "video", identity: "alice")
        let ssrc: UInt32 = 0x0B0B_0001
        let payloadType = try await alice.publish(kind: .video, ssrc: ssrc, rtxSSRC: 0x0B0B_0002)
        try await bob.join(room: "video", identity: "bob")
        #expect(await Self.waitUntil { alice.publisherConnected && bob.subscriberConnected }, "\(bob.events)")
        try alice.sendMedia(count: 40, ssrc: ssrc, payloadType: payloadType)
        #expect(await Self.waitUntil { bob.received.count >= 40 })
        // Video starting to flow to a new subscriber makes the SFU ask the publisher for a
        // keyframe (PLI, RFC 4585 6.3.1).
        #expect(await Self.waitUntil(3) { Self.pictureLossRequests(in: alice.publisherRTCP, for: ssrc) >= 1 })
        let stream = bob.received[0].ssrc
        let lost = bob.received[10].sequence
        let originalPayload = bob.received[10].payload

        // Bob NACKs one packet: it comes back as RTX (RFC 4588) with the original sequence number.
        try bob.sendSubscriberRTCP { buffer in
            try GenericNACK.write(senderSSRC: 1, mediaSSRC: stream, lost: [lost], into: buffer)
        }
        #expect(await Self.waitUntil(3) {
            bob.received.contains { $0.ssrc != stream && $0.payload.count == originalPayload.count + 2
                && UInt16($0.payload[0]) << 8 | UInt16($0.payload[1]) == lost && Array($0.payload[2...]) == originalPayload }
        }, "no RTX retransmission of \(lost)")

        // Bob loses the picture: alice is asked for a keyframe again, after the throttle interval.
        try await Task.sleep(for: .milliseconds(600))
        let before = Self.pictureLossRequests(in: alice.publisherRTCP, for: ssrc)
        try bob.sendSubscriberRTCP { buffer in try PictureLossIndication.write(senderSSRC: 1, mediaSSRC: stream, into: buffer) }
        #expect(await Self.waitUntil(3) { Self.pictureLossRequests(in: alice.publisherRTCP, for: ssrc) > before })

        // Within about a second: a sender report for bob's stream, a receiver report for alice's.
        #expect(await Self.waitUntil(3) { Self.has(.senderReport, ssrc: stream, in: bob.subscriberRTCP) })
        #expect(await Self.waitUntil(3) { Self.receiverReportBlocks(in: alice.publisherRTCP).contains(ssrc) })
        try alice.close()
        try bob.close()
        await service.shutdown()
    }

    /// A NACK storm (issue 14's bad input): 20 NACKs of 200 packets each, at once. Each packet
    /// is resent once (a repeat within the round trip is refused), the bytes stay within the
    /// subscriber's budget, NACKs for a stream bob is not sent are ignored; all counted. Another
    /// subscriber keeps receiving.
    @Test func aNackStormIsCappedAndCountedAndOthersKeepReceiving() async throws {
        let service = try Self.makeService()
        let alice = Self.participant(service)
        let bob = Self.participant(service)
        let carol = Self.participant(service)
        try await alice.join(room: "storm", identity: "alice")
        let ssrc: UInt32 = 0x0E0E_0001
        let payloadType = try await alice.publish(kind: .video, ssrc: ssrc, rtxSSRC: 0x0E0E_0002)
        try await bob.join(room: "storm", identity: "bob")
        try await carol.join(room: "storm", identity: "carol")
        #expect(await Self.waitUntil { alice.publisherConnected && bob.subscriberConnected && carol.subscriberConnected })
        for batch in 0..<6 {  // paced: 300 at once could overflow a socket buffer on the way
            try alice.sendMedia(count: 50, ssrc: ssrc, payloadType: payloadType, firstSequence: 100 + UInt16(batch * 50))
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(await Self.waitUntil { bob.received.count >= 300 && carol.received.count >= 300 },
                "bob \(bob.received.count), carol \(carol.received.count)")
        let stream = bob.received[0].ssrc
        let first = bob.received[0].sequence
        let asked = (0..<200).map { first &+ UInt16($0) }
        for _ in 0..<20 {
            try bob.sendSubscriberRTCP { buffer in try GenericNACK.write(senderSSRC: 1, mediaSSRC: stream, lost: asked, into: buffer) }
        }
        try bob.sendSubscriberRTCP { buffer in try GenericNACK.write(senderSSRC: 1, mediaSSRC: 0xDEAD_BEEF, lost: [1, 2, 3], into: buffer) }
        let counted = await Self.eventually(5) {
            let figures = await service.statistics(room: "storm")?.participants.first { $0.identity == "bob" }
            return (figures?.retransmissionsRefused ?? 0) >= 3_800 && (figures?.feedbackIgnored ?? 0) == 1
        }
        let bobFigures = await service.statistics(room: "storm")?.participants.first { $0.identity == "bob" }
        #expect(counted, "\(String(describing: bobFigures))")
        let resent = bobFigures?.retransmissionsSent ?? -1
        // Each resend is ~110 bytes (RTX of an 80-byte payload): the 16 000-byte burst allows ~150,
        // and the bucket refills while they go out.
        #expect(resent > 0 && resent <= 200, "\(resent) resends for 4 000 NACKed packets")
        try await Task.sleep(for: .milliseconds(300))
        #expect(bob.received.filter { $0.ssrc != stream }.count == resent)
        // Carol, who asked for nothing, still gets new media.
        let before = carol.received.count
        try alice.sendMedia(count: 20, ssrc: ssrc, payloadType: payloadType, firstSequence: 400)
        #expect(await Self.waitUntil(3) { carol.received.count >= before + 20 })
        try alice.close()
        try bob.close()
        try carol.close()
        await service.shutdown()
    }

    /// Without RTX negotiated a NACK is answered with the packet itself (RFC 4585 allows it).
    /// The retransmission buffer used to end at the packet's length, leaving no room for the
    /// SRTP trailer, so every such answer failed to protect and none was ever sent.
    @Test func aSubscriberWithoutRTXIsSentTheNackedPacketItself() async throws {
        let service = try Self.makeService()
        let alice = Self.participant(service)
        let bob = Self.participant(service)
        bob.subscriberCapabilities.rtx = false
        try await alice.join(room: "no-rtx", identity: "alice")
        let ssrc: UInt32 = 0x0B0B_0101
        let payloadType = try await alice.publish(kind: .video, ssrc: ssrc, rtxSSRC: 0x0B0B_0102)
        try await bob.join(room: "no-rtx", identity: "bob", grants: Grants(publish: false, subscribe: true))
        #expect(await Self.waitUntil { alice.publisherConnected && bob.subscriberConnected }, "\(bob.events)")
        try alice.sendMedia(count: 30, ssrc: ssrc, payloadType: payloadType)
        #expect(await Self.waitUntil { bob.received.count >= 30 })
        let stream = bob.received[0].ssrc
        let lost = bob.received[12]
        try bob.sendSubscriberRTCP { buffer in
            try GenericNACK.write(senderSSRC: 1, mediaSSRC: stream, lost: [lost.sequence], into: buffer)
        }
        // Bob did receive that packet, so its SRTP replay check drops the copy (a really lost
        // packet would be taken): the server's count of retransmissions sent is what shows it.
        #expect(await Self.eventually(3) {
            await service.statistics(room: "no-rtx")?.participants.first { $0.identity == "bob" }?.retransmissionsSent == 1
        }, "no retransmission of \(lost.sequence) was sent")
        try alice.close()
        try bob.close()
        await service.shutdown()
    }

    /// Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-
    /// extensions-01): without it a browser's congestion controller never leaves its start rate
    /// (a camera published at ~30 kbit/s). Every packet that arrived is reported received,
    /// across the 16-bit wrap; the ones that never came are reported lost.
    @Test func aPublisherIsToldWhichOfItsPacketsArrived() async throws {
        let service = try Self.makeService()
        let alice = Self.participant(service)
        try await alice.join(room: "feedback", identity: "alice")
        let ssrc: UInt32 = 0x0C0C_0001
        let payloadType = try await alice.publish(kind: .video, ssrc: ssrc)
        #expect(alice.publisherTransportWideID != nil, "the SFU did not answer transport-cc's extension")
        #expect(await Self.waitUntil { alice.publisherConnected })
        let numbers = (0..<60).map { UInt16(truncatingIfNeeded: 65_500 + $0) }
        let lost = Set(numbers.enumerated().filter { $0.offset % 10 == 4 }.map(\.element))
        try alice.sendMedia(count: numbers.count, ssrc: ssrc, payloadType: payloadType) { i in
            let number = UInt16(truncatingIfNeeded: 65_500 + i)
            return i % 10 == 4 ? nil : number
        }
        var reported: [UInt16: Bool] = [:]
        let covered = await Self.waitUntil(3) {
            reported = Self.transportWideStatuses(in: alice.publisherRTCP)
            return numbers.allSatisfy { reported[$0] != nil }
        }
        #expect(covered, "statuses for \(reported.count) of \(numbers.count) numbers")
        #expect(numbers.filter { reported[$0] == true } == numbers.filter { !lost.contains($0) })
        #expect(numbers.filter { reported[$0] == false } == numbers.filter { lost.contains($0) })
        try alice.close()
        await service.shutdown()
    }

    /// Congestion control towards a subscriber: every packet it is sent carries the SFU's own
    /// transport-wide number (one numbering per subscriber transport, not the publisher's), and
    /// its feedback on them gives it a bandwidth estimate. Feedback about numbers the SFU never
    /// sent (issue 14's bad input) is counted and changes nothing; a subscriber answering
    /// without transport-cc gets no estimate and still receives.
    @Test func aSubscribersCongestionFeedbackGivesItABandwidthEstimate() async throws {
        let service = try Self.makeService()
        let alice = Self.participant(service)
        let bob = Self.participant(service)
        let carol = Self.participantWithoutTransportWideCC(service)
        try await alice.join(room: "estimate", identity: "alice")
        let ssrc: UInt32 = 0x0D0D_0001
        let payloadType = try await alice.publish(kind: .video, ssrc: ssrc, rtxSSRC: 0x0D0D_0002)
        try await bob.join(room: "estimate", identity: "bob")
        try await carol.join(room: "estimate", identity: "carol")
        #expect(await Self.waitUntil { alice.publisherConnected && bob.subscriberConnected && carol.subscriberConnected })
        try alice.sendMedia(count: 100, ssrc: ssrc, payloadType: payloadType) { i in UInt16(truncatingIfNeeded: 40_000 + i) }
        #expect(await Self.waitUntil { bob.received.count >= 100 && carol.received.count >= 100 })
        let numbers = bob.receivedTransportWide
        #expect(numbers.count == bob.received.count, "\(numbers.count) of \(bob.received.count) packets numbered")
        #expect(zip(numbers, numbers.dropFirst()).allSatisfy { $1 == $0 &+ 1 }, "not one consecutive numbering: \(numbers.prefix(8))")
        #expect(numbers.first != 40_000, "the publisher's numbers were passed through")
        #expect(carol.receivedTransportWide.isEmpty)

        // Bob reports every packet, 2 ms apart.
        let observations = numbers.enumerated().map { TransportWideObservation(sequenceNumber: $1, arrivalTime: 1_000_000 + Int64($0) * 2000) }
        try bob.sendSubscriberRTCP { buffer in
            try TransportWideFeedback.write(senderSSRC: 1, mediaSSRC: 2, feedbackPacketCount: 0, observations: observations, into: buffer)
        }
        var bandwidth: SubscriberBandwidth?
        func bobsBandwidth() async -> SubscriberBandwidth? {
            await service.statistics(room: "estimate")?.participants.first { $0.identity == "bob" }?.bandwidth
        }
        #expect(await Self.eventually(3) { bandwidth = await bobsBandwidth(); return bandwidth?.feedbackReceived == 1 })
        #expect(bandwidth?.feedbackUnmatched == 0)
        #expect(bandwidth.map { $0.estimatedBitsPerSecond > 0 } == true, "\(String(describing: bandwidth))")
        #expect(bandwidth?.acknowledgedBitsPerSecond.map { $0 > 0 } == true, "\(String(describing: bandwidth))")

        // Feedback on 50 numbers bob was never sent: counted, nothing else.
        let estimate = bandwidth?.estimatedBitsPerSecond
        let unsent = (0..<50).map { TransportWideObservation(sequenceNumber: numbers.last! &+ 1000 &+ UInt16($0), arrivalTime: 3_000_000 + Int64($0) * 1000) }
        try bob.sendSubscriberRTCP { buffer in
            try TransportWideFeedback.write(senderSSRC: 1, mediaSSRC: 2, feedbackPacketCount: 1, observations: unsent, into: buffer)
        }
        #expect(await Self.eventually(3) { bandwidth = await bobsBandwidth(); return bandwidth?.feedbackReceived == 2 })
        #expect(bandwidth?.feedbackUnmatched == 50)
        #expect(bandwidth?.estimatedBitsPerSecond == estimate)
        let carols = await service.statistics(room: "estimate")?.participants.first { $0.identity == "carol" }
        #expect(carols != nil && carols?.bandwidth == nil)
        try alice.sendMedia(count: 10, ssrc: ssrc, payloadType: payloadType, firstSequence: 200) { i in UInt16(truncatingIfNeeded: 40_100 + i) }
        #expect(await Self.waitUntil { bob.received.count >= 110 && carol.received.count >= 110 })
        try alice.close()
        try bob.close()
        try carol.close()
        await service.shutdown()
    }

    /// Upstream loss (RFC 4585 6.2.1, RFC 4588): the SFU asks the publisher for the packets
    /// that did not arrive, and the RTX answer reaches the subscriber as the packet it repairs.
    /// RTX the SFU did not ask for (libwebrtc probes with resent packets) is not forwarded.
    @Test func packetsLostOnThePublishersUplinkAreAskedForAndTheRepairIsForwarded() async throws {
        let service = try Self.makeService()
        let alice = Self.participant(service)
        let bob = Self.participant(service)
        try await alice.join(room: "repair", identity: "alice")
        let ssrc: UInt32 = 0x0D0D_0001
        let rtxSSRC: UInt32 = 0x0D0D_0002
        let payloadType = try await alice.publish(kind: .video, ssrc: ssrc, rtxSSRC: rtxSSRC)
        let rtxPayloadType = try #require(alice.publisherRTXPayloadType)
        try await bob.join(room: "repair", identity: "bob")
        #expect(await Self.waitUntil { alice.publisherConnected && bob.subscriberConnected }, "\(bob.events)")
        try alice.sendMedia(count: 30, ssrc: ssrc, payloadType: payloadType, skipping: [10, 11])
        #expect(await Self.waitUntil { bob.received.count >= 28 })
        #expect(await Self.waitUntil(3) { Set(Self.nackedSequences(in: alice.publisherRTCP, for: ssrc)).isSuperset(of: [110, 111]) },
                "no NACK for 110 and 111: \(Self.nackedSequences(in: alice.publisherRTCP, for: ssrc))")
        #expect(!Self.nackedSequences(in: alice.publisherRTCP, for: ssrc).contains(109))

        try alice.sendRTX(ssrc: rtxSSRC, payloadType: rtxPayloadType, sequence: 1, index: 10)
        try alice.sendRTX(ssrc: rtxSSRC, payloadType: rtxPayloadType, sequence: 2, index: 5)  // arrived already
        let repaired = TestParticipant.mediaPayload(10)
        #expect(await Self.waitUntil(3) { bob.received.contains { $0.payload == repaired } }, "the repaired packet never reached bob")
        let stream = bob.received[0].ssrc
        let copy = bob.received.first { $0.payload == repaired }
        #expect(copy?.ssrc == stream && copy?.payloadType == bob.received[0].payloadType, "forwarded as the media stream, not as RTX")
        // In bob's numbering, it sits where the gap was: right after packet 9.
        let ninth = bob.received.first { $0.payload == TestParticipant.mediaPayload(9) }
        #expect(copy.map { $0.sequence } == ninth.map { $0.sequence &+ 1 })
        try await Task.sleep(for: .milliseconds(200))
        #expect(bob.received.filter { $0.payload == TestParticipant.mediaPayload(5) }.count == 1, "an unasked-for resend was forwarded")
        // 111 is still missing: asked for again after the retry interval.
        let before = Self.nackedSequences(in: alice.publisherRTCP, for: ssrc).filter { $0 == 111 }.count
        #expect(await Self.waitUntil(3) { Self.nackedSequences(in: alice.publisherRTCP, for: ssrc).filter { $0 == 111 }.count > before })
        try alice.close()
        try bob.close()
        await service.shutdown()
    }

    /// The publisher's video is sent as one stream and its only subscriber's link limits it (its
    /// estimate fell: half of its packets reported lost): the publisher is told by REMB
    /// (draft-alvestrand-rmcat-remb) to send no more than that subscriber can take, for its video
    /// SSRC. While the estimate had not fallen, no REMB. A subscriber without transport-cc (no
    /// estimate) joins: the cap is lifted with REMBs of 100 Mbit/s.
    @Test func aPublisherIsCappedByREMBAtWhatItsSubscribersCanTake() async throws {
        let service = try Self.makeService()
        let alice = Self.participant(service)
        let bob = Self.participant(service)
        let carol = Self.participantWithoutTransportWideCC(service)
        try await alice.join(room: "cap", identity: "alice")
        let ssrc: UInt32 = 0x0E0E_0001
        let payloadType = try await alice.publish(kind: .video, ssrc: ssrc, rtxSSRC: 0x0E0E_0002)
        try await bob.join(room: "cap", identity: "bob")
        #expect(await Self.waitUntil { alice.publisherConnected && bob.subscriberConnected })
        // With transport-wide numbers of its own: the SFU writes bob's into their place.
        try alice.sendMedia(count: 100, ssrc: ssrc, payloadType: payloadType) { i in UInt16(truncatingIfNeeded: 40_000 + i) }
        #expect(await Self.waitUntil { bob.received.count >= 100 })
        let numbers = bob.receivedTransportWide
        // The first half all received, 2 ms apart: an estimate that never fell.
        let clean = numbers.prefix(50).enumerated().map {
            TransportWideObservation(sequenceNumber: $1, arrivalTime: 1_000_000 + Int64($0) * 2000)
        }
        try bob.sendSubscriberRTCP { buffer in
            try TransportWideFeedback.write(senderSSRC: 1, mediaSSRC: 2, feedbackPacketCount: 0, observations: clean, into: buffer)
        }
        var estimate: Int?
        func bobsEstimate() async -> Int? {
            await service.statistics(room: "cap")?.participants.first { $0.identity == "bob" }?.bandwidth?.estimatedBitsPerSecond
        }
        #expect(await Self.eventually(3) { estimate = await bobsEstimate(); return estimate != nil })
        try await Task.sleep(for: .milliseconds(1500))
        #expect(Self.rembs(in: alice.publisherRTCP).isEmpty, "a cap from an estimate that never fell")
        // The second half: every other packet lost (50 %): the loss-based estimate falls.
        let lossy = numbers.dropFirst(50).enumerated().map {
            TransportWideObservation(sequenceNumber: $1, arrivalTime: $0 % 2 == 0 ? 1_200_000 + Int64($0) * 2000 : nil)
        }
        try bob.sendSubscriberRTCP { buffer in
            try TransportWideFeedback.write(senderSSRC: 1, mediaSSRC: 2, feedbackPacketCount: 1, observations: lossy, into: buffer)
        }
        #expect(await Self.eventually(3) { let now = await bobsEstimate(); estimate = now; return now != nil })
        #expect(await Self.waitUntil(3) { !Self.rembs(in: alice.publisherRTCP).isEmpty }, "no REMB to the publisher")
        let cap = try #require(Self.rembs(in: alice.publisherRTCP).first)
        #expect(cap.ssrcs == [ssrc])
        // Bob receives nothing else, so his share is his whole estimate (at least the floor).
        #expect(cap.bitrate >= UInt64(PublisherBitrateCap.minimumBitsPerSecond) && cap.bitrate <= UInt64(max(estimate ?? 0, 100_000)),
                "REMB \(cap.bitrate) against bob's estimate \(String(describing: estimate))")
        let stats = await service.statistics(room: "cap")?.participants.first { $0.identity == "alice" }
        #expect(stats?.publishCapBitsPerSecond != nil)

        try await carol.join(room: "cap", identity: "carol")
        #expect(await Self.waitUntil { carol.subscriberConnected })
        #expect(await Self.waitUntil(4) { Self.rembs(in: alice.publisherRTCP).contains { $0.bitrate >= 99_000_000 } },
                "the cap was not lifted for a subscriber without an estimate: \(Self.rembs(in: alice.publisherRTCP).map(\.bitrate))")
        try alice.close()
        try bob.close()
        try carol.close()
        await service.shutdown()
    }

    /// A subscriber that does not negotiate transport-wide sequence numbers: the SFU has no
    /// estimate for it.
    static func participantWithoutTransportWideCC(_ service: SFURoomService) -> TestParticipant {
        let participant = Self.participant(service)
        participant.subscriberCapabilities.videoHeaderExtensions.removeAll { $0 == HeaderExtensionURI.transportWideCC }
        participant.subscriberCapabilities.audioHeaderExtensions.removeAll { $0 == HeaderExtensionURI.transportWideCC }
        return participant
    }

    static func rembs(in compounds: [[UInt8]]) -> [(bitrate: UInt64, ssrcs: [UInt32])] {
        compounds.flatMap { bytes in
            bytes.withUnsafeBytes { raw -> [(bitrate: UInt64, ssrcs: [UInt32])] in
                guard let compound = try? RTCPCompound(raw) else { return [] }
                return compound.compactMap { try? ReceiverEstimatedMaxBitrate($0) }.map { remb in
                    (remb.bitrate, (0..<remb.ssrcCount).map { remb.ssrc(at: $0) })
                }
            }
        }
    }

    static func nackedSequences(in compounds: [[UInt8]], for ssrc: UInt32) -> [UInt16] {
        compounds.flatMap { bytes in
            bytes.withUnsafeBytes { raw -> [UInt16] in
                guard let compound = try? RTCPCompound(raw) else { return [] }
                return compound.compactMap { try? GenericNACK($0) }.filter { $0.mediaSSRC == ssrc }.flatMap { Array($0) }
            }
        }
    }

    /// Ingest health (issue 14): per published stream, keyframes (from VP8's payload header),
    /// the picture size they carry, frames per second (marker bits) and the keyframe rhythm, in
    /// the room's statistics.
    @Test func aPublishersStreamsReportKeyframesSizeAndFrameRate() async throws {
        let service = try Self.makeService()
        let alice = Self.participant(service)
        try await alice.join(room: "ingest", identity: "alice")
        let ssrc: UInt32 = 0x0F0F_0001
        let payloadType = try await alice.publish(kind: .video, ssrc: ssrc)
        #expect(await Self.waitUntil { alice.publisherConnected })
        // VP8 (RFC 7741): descriptor S=1; payload header P=0 with a 640x480 keyframe header, or P=1.
        let keyframe: [UInt8] = [0x10, 0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A, 0x80, 0x02, 0xE0, 0x01] + [UInt8](repeating: 7, count: 60)
        let delta: [UInt8] = [0x10, 0x11, 0x02, 0x00] + [UInt8](repeating: 7, count: 60)
        // Eight batches of ten frames, 400 ms apart, each starting with a keyframe; the rates
        // are sampled once a second, so they are read while the frames come.
        var layer: LayerStatistics?
        var highestFrameRate = 0.0
        for batch in 0..<8 {
            try alice.sendMedia(count: 10, ssrc: ssrc, payloadType: payloadType, firstSequence: 100 + UInt16(batch * 10),
                                payload: { i in i == 0 ? keyframe : delta })
            try await Task.sleep(for: .milliseconds(400))
            layer = await service.statistics(room: "ingest")?.participants.first?.tracks.first?.layers.first
            highestFrameRate = max(highestFrameRate, layer?.framesPerSecond ?? 0)
        }
        let reported = await Self.eventually(3) {
            layer = await service.statistics(room: "ingest")?.participants.first?.tracks.first?.layers.first
            return layer?.keyframes == 8
        }
        #expect(reported, "\(String(describing: layer))")
        #expect(highestFrameRate > 10, "frames per second: \(highestFrameRate)")
        #expect(layer?.width == 640 && layer?.height == 480)
        #expect(layer?.ssrc == ssrc && layer?.rid == nil)
        #expect(layer?.packetsReceived == 80)
        #expect(layer?.requestedKeyframes == 0)
        #expect(layer?.keyframeIntervalSeconds.map { $0 > 0.2 && $0 < 2 } == true, "\(String(describing: layer))")
        try alice.close()
        await service.shutdown()
    }

    /// Transport-wide sequence number to received (true) or reported lost, over every
    /// feedback message in `compounds`; a later "received" wins over an earlier "lost".
    static func transportWideStatuses(in compounds: [[UInt8]]) -> [UInt16: Bool] {
        var out: [UInt16: Bool] = [:]
        for bytes in compounds {
            bytes.withUnsafeBytes { raw in
                guard let compound = try? RTCPCompound(raw) else { return }
                for packet in compound {
                    guard let feedback = try? TransportWideFeedback(packet) else { continue }
                    for status in feedback { out[status.sequenceNumber] = (out[status.sequenceNumber] ?? false) || status.arrivalTime != nil }
                }
            }
        }
        return out
    }

    static func pictureLossRequests(in compounds: [[UInt8]], for ssrc: UInt32) -> Int {
        compounds.reduce(0) { count, bytes in
            count + bytes.withUnsafeBytes { raw in
                guard let compound = try? RTCPCompound(raw) else { return 0 }
                return compound.filter { (try? PictureLossIndication($0))?.mediaSSRC == ssrc }.count
            }
        }
    }

    static func has(_ type: RTCPPacketType, ssrc: UInt32, in compounds: [[UInt8]]) -> Bool {
        compounds.contains { bytes in
            bytes.withUnsafeBytes { raw in
                guard let compound = try? RTCPCompound(raw) else { return false }
                return compound.contains { $0.packetType == type && (try? SenderReport($0))?.ssrc == ssrc }
            }
        }
    }

    static func receiverReportBlocks(in compounds: [[UInt8]]) -> [UInt32] {
        compounds.flatMap { bytes in
            bytes.withUnsafeBytes { raw -> [UInt32] in
                guard let compound = try? RTCPCompound(raw) else { return [] }
                return compound.compactMap { try? ReceiverReport($0) }.flatMap { $0.reports.map(\.ssrc) }
            }
        }
    }

    @Test func aSubscriberWhoseTracksAllLeftStillReceivesTheNextPublisher() async throws {
        let service = try Self.makeService()
        let alice = Self.participant(service)
        let bob = Self.participant(service)
        let carol = Self.participant(service)
        try await bob.join(room: "park", identity: "bob", grants: Grants(publish: false, subscribe: true))
        try await alice.join(room: "park", identity: "alice")
        let alicePT = try await alice.publishAudio(ssrc: 0xA1)
        #expect(await Self.waitUntil { alice.publisherConnected && bob.subscriberConnected }, "\(bob.events)")
        try alice.sendAudio(count: 10, ssrc: 0xA1, payloadType: alicePT)
        #expect(await Self.waitUntil { bob.received.count >= 10 })

        // Alice leaves: bob's only m-line is not stopped (that would empty BUNDLE and end the
        // transport), and the offer lists no track.
        await service.leave(participantID: alice.joined!.participantID, reason: .left)
        #expect(await Self.waitUntil {
            bob.events.contains { if case .subscriberOffer(let sdp, _, let tracks) = $0 { tracks.isEmpty && sdp.contains("a=group:BUNDLE ") } else { false } }
        }, "\(bob.events)")

        // Carol publishes: bob gets her on the same transport.
        try await carol.join(room: "park", identity: "carol")
        let carolPT = try await carol.publishAudio(ssrc: 0xC1)
        #expect(await Self.waitUntil { carol.publisherConnected })
        let before = bob.received.count
        #expect(await Self.waitUntil {
            bob.events.contains { if case .subscriberOffer(_, _, let tracks) = $0 { tracks.first?.participantID == carol.joined?.participantID } else { false } }
        })
        try await Task.sleep(for: .milliseconds(200))
        try carol.sendAudio(count: 20, ssrc: 0xC1, payloadType: carolPT)
        #expect(await Self.waitUntil { bob.received.count >= before + 18 }, "bob received \(bob.received.count - before) of carol's 20")
        try alice.close()
        try bob.close()
        try carol.close()
        await service.shutdown()
    }

    @Test func aSubscribersSenderReportsShareOneCompoundPacket() async throws {
        let service = try Self.makeService()
        let alice = Self.participant(service)
        let carol = Self.participant(service)
        let bob = Self.participant(service)
        try await bob.join(room: "reports", identity: "bob", grants: Grants(publish: false, subscribe: true))
        try await alice.join(room: "reports", identity: "alice")
        let alicePT = try await alice.publishAudio(ssrc: 0xA1)
        #expect(await Self.waitUntil { alice.publisherConnected && bob.subscriberConnected }, "\(bob.events)")
        try await carol.join(room: "reports", identity: "carol")
        let carolPT = try await carol.publishAudio(ssrc: 0xC1)
        #expect(await Self.waitUntil { carol.publisherConnected })
        #expect(await Self.waitUntil {
            bob.events.contains { if case .subscriberOffer(_, _, let tracks) = $0 { tracks.contains { $0.participantID == carol.joined?.participantID } } else { false } }
        })
        try await Task.sleep(for: .milliseconds(200))
        try alice.sendAudio(count: 10, ssrc: 0xA1, payloadType: alicePT)
        try carol.sendAudio(count: 10, ssrc: 0xC1, payloadType: carolPT)
        #expect(await Self.waitUntil { Set(bob.received.map(\.ssrc)).count == 2 }, "bob received \(bob.received.count)")
        let streams = Set(bob.received.map(\.ssrc))
        // Within about a second: one compound packet with a sender report for each stream.
        #expect(await Self.waitUntil(3) { Self.senderReportSets(in: bob.subscriberRTCP).contains { $0.isSuperset(of: streams) } },
                "\(Self.senderReportSets(in: bob.subscriberRTCP))")
        try alice.close()
        try bob.close()
        try carol.close()
        await service.shutdown()
    }

    /// Per compound packet, the SSRCs of its sender reports.
    static func senderReportSets(in compounds: [[UInt8]]) -> [Set<UInt32>] {
        compounds.map { bytes in
            bytes.withUnsafeBytes { raw in
                guard let compound = try? RTCPCompound(raw) else { return [] }
                return Set(compound.compactMap { try? SenderReport($0) }.map(\.ssrc))
            }
        }
    }

    @Test func aDroppedSignalingConnectionIsKeptForTheGracePeriodThenLeaves() async throws {
        let service = try Self.makeService()
        let alice = Self.participant(service)
        let bob = Self.participant(service)
        try await alice.join(room: "grace", identity: "alice")
        try await bob.join(room: "grace", identity: "bob")
        await service.disconnected(participantID: bob.joined!.participantID, connection: 0)
        // Resumed within the grace period: still there.
        let resumed = try await service.resume(participantID: bob.joined!.participantID, resumeToken: bob.joined!.resumeToken) { _ in }
        #expect(resumed.connection == 1)
        // The old connection's drop, noticed late, must not start the grace period again.
        await service.disconnected(participantID: bob.joined!.participantID, connection: 0)
        try await Task.sleep(for: .milliseconds(500))
        #expect(!alice.events.contains { if case .participantLeft = $0 { true } else { false } })
        // A wrong resume token is refused.
        await #expect(throws: RoomError.resumeRefused) {
            try await service.resume(participantID: bob.joined!.participantID, resumeToken: "nope") { _ in }
        }
        // The current connection dropped and not resumed: gone after the grace period.
        await service.disconnected(participantID: bob.joined!.participantID, connection: resumed.connection)
        #expect(await Self.waitUntil(3) { alice.events.contains { if case .participantLeft(_, .signalingLost) = $0 { true } else { false } } })
        #expect(await Self.eventually { await service.counts().participants == 1 })
        await service.shutdown()
    }

    /// Shutdown with participants still in the room, one of them kept for resume (its signaling
    /// gone, its peer connections not closed): closing a publisher before the subscribers of its
    /// tracks left them with forwarders whose track was freed, and the next subscriber's close
    /// read it (an unowned reference to a destroyed object: the process aborted on SIGTERM).
    @Test func shutdownWithPublishersSubscribersAndASessionKeptForResumeEndsEveryone() async throws {
        let service = try Self.makeService()
        let alice = Self.participant(service)
        let bob = Self.participant(service)
        try await alice.join(room: "shutdown", identity: "alice")
        let alicePT = try await alice.publishAudio(ssrc: 0xA5)
        try await bob.join(room: "shutdown", identity: "bob")
        let bobPT = try await bob.publishAudio(ssrc: 0xB5)
        #expect(await Self.waitUntil { alice.publisherConnected && bob.publisherConnected && alice.subscriberConnected && bob.subscriberConnected },
                "\(alice.events) \(bob.events)")
        try await Task.sleep(for: .milliseconds(200))
        try alice.sendAudio(count: 10, ssrc: 0xA5, payloadType: alicePT)
        try bob.sendAudio(count: 10, ssrc: 0xB5, payloadType: bobPT)
        #expect(await Self.waitUntil { alice.received.count >= 9 && bob.received.count >= 9 })
        // Alice's signaling drops: she is kept for the grace period, her connections open.
        await service.disconnected(participantID: alice.joined!.participantID, connection: 0)
        await service.shutdown()
        #expect(bob.events.contains(.sessionEnded(reason: .serverShutdown)))
        #expect(await service.counts() == (rooms: 0, participants: 0))
        try alice.close()
        try bob.close()
    }

    @Test func anOfferLostWhileSignalingWasDownIsSentAgainOnResume() async throws {
        let service = try Self.makeService()
        let alice = Self.participant(service)
        try await alice.join(room: "lost-offer", identity: "alice")
        _ = try await alice.publishAudio(ssrc: 0xA2)
        // Bob's first subscriber offer goes to a connection that is already gone.
        let bob = try await service.join(JoinRequest(room: "lost-offer", identity: "bob", grants: Grants())) { _ in }
        try await Task.sleep(for: .milliseconds(200))
        await service.disconnected(participantID: bob.participantID, connection: bob.connection)
        let offers = OfferRecorder()
        let resumed = try await service.resume(participantID: bob.participantID, resumeToken: bob.resumeToken) { offers.record($0) }
        #expect(resumed.connection == bob.connection + 1)
        #expect(await Self.waitUntil(3) { offers.versions.contains(2) }, "offers after resume: \(offers.versions)")
        await #expect(throws: RoomError.staleAnswer(expected: 2, got: 1)) {
            try await service.answerSubscriberOffer(participantID: bob.participantID, connection: resumed.connection, answer: "v=0", version: 1)
        }
        try alice.close()
        await service.shutdown()
    }

    /// A client whose connection failed asks for a subscriber ICE restart, often twice in a row
    /// (its own ICE state and the server's report each trigger one): both restarts reach the
    /// client in offers it answers with new credentials of its own, and media flows after them.
    /// (A restart made while an offer waited for its answer used to give the transport
    /// credentials no offer carried; libnice peers still connect that way, since the controlling
    /// side's checks succeed, but Chromium's consent checks fail: the Chromium outage test,
    /// test_room_outage.py, is the one that sees it.)
    @Test func twoSubscriberICERestartsInARowAreAnsweredAndMediaFlows() async throws {
        let service = try Self.makeService()
        let alice = Self.participant(service)
        let bob = Self.participant(service)
        try await alice.join(room: "restarts", identity: "alice")
        let alicePT = try await alice.publishAudio(ssrc: 0xA7)
        try await bob.join(room: "restarts", identity: "bob", grants: Grants(publish: false, subscribe: true))
        #expect(await Self.waitUntil { alice.publisherConnected && bob.subscriberConnected }, "\(bob.events)")
        let bobID = bob.joined!.participantID
        try await service.restartSubscriberICE(participantID: bobID, connection: 0)
        try await service.restartSubscriberICE(participantID: bobID, connection: 0)
        // Both restarts end up in offers bob answered; every one bob answered matched.
        #expect(await Self.waitUntil { bob.subscriberRestarts >= 1 })
        try await Task.sleep(for: .milliseconds(300))
        let before = bob.received.count
        let deadline = Date().addingTimeInterval(8)
        var sequence: UInt16 = 100
        while bob.received.count < before + 20, Date() < deadline {
            try alice.sendAudio(count: 5, ssrc: 0xA7, payloadType: alicePT, firstSequence: sequence)
            sequence &+= 5
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(bob.received.count >= before + 20, "bob received \(bob.received.count - before) packets after \(bob.subscriberRestarts) restarts; sfu events \(bob.events.suffix(4))")
        // Media keeps flowing: nothing failed after the restarts.
        #expect(!bob.events.contains { if case .sessionEnded = $0 { true } else { false } })
        try alice.close()
        try bob.close()
        await service.shutdown()
    }

    /// After an outage the kernel still delivers what a dead socket had buffered: an ICE-restart
    /// offer sent before the client gave the socket up arrived after it had resumed on a new
    /// connection and restarted ICE again, and undid that restart (the call stayed broken). Requests
    /// from a connection the participant resumed away from are refused.
    @Test func requestsFromAConnectionThatWasResumedAwayFromAreRefused() async throws {
        let service = try Self.makeService()
        let alice = try await service.join(JoinRequest(room: "replaced", identity: "alice", grants: Grants())) { _ in }
        await service.disconnected(participantID: alice.participantID, connection: alice.connection)
        let resumed = try await service.resume(participantID: alice.participantID, resumeToken: alice.resumeToken) { _ in }
        await #expect(throws: RoomError.connectionReplaced) {
            try await service.publish(participantID: alice.participantID, connection: alice.connection, offer: "v=0")
        }
        await #expect(throws: RoomError.connectionReplaced) {
            try await service.restartSubscriberICE(participantID: alice.participantID, connection: alice.connection)
        }
        await #expect(throws: RoomError.connectionReplaced) {
            try await service.addCandidate(participantID: alice.participantID, connection: alice.connection, target: .publisher,
                                           candidate: "candidate:1 1 udp 1 127.0.0.1 9 typ host")
        }
        await #expect(throws: RoomError.connectionReplaced) {
            try await service.answerSubscriberOffer(participantID: alice.participantID, connection: alice.connection, answer: "v=0", version: 1)
        }
        await #expect(throws: RoomError.connectionReplaced) {
            try await service.setMuted(participantID: alice.participantID, connection: alice.connection, trackID: "TR_x", muted: true)
        }
        // The current connection is served (a bad offer is its own error, not a refusal).
        do {
            _ = try await service.publish(participantID: alice.participantID, connection: resumed.connection, offer: "nonsense")
            Issue.record("an offer that is no SDP was accepted")
        } catch {
            guard case .badSDP = error else {
                Issue.record("the current connection's request was refused: \(error)")
                return
            }
        }
        await service.shutdown()
    }

    final class OfferRecorder: @unchecked Sendable {
        private let lock = NSLock()
        private var _versions: [Int] = []
        var versions: [Int] { lock.withLock { _versions } }
        func record(_ event: RoomEvent) {
            if case .subscriberOffer(_, let version, _) = event { lock.withLock { _versions.append(version) } }
        }
    }

    @Test func grantsAndLimitsAreEnforced() async throws {
        let service = try SFURoomService(configuration: SFUConfiguration(workers: 1, ice: Self.ice, maxParticipantsPerRoom: 2))
        let viewer = Self.participant(service)
        try await viewer.join(room: "limits", identity: "viewer", grants: Grants(publish: false, subscribe: true))
        await #expect(throws: RoomError.notAllowed("the token does not grant publish")) {
            try await service.publish(participantID: viewer.joined!.participantID, connection: 0, offer: "v=0")
        }
        let second = Self.participant(service)
        try await second.join(room: "limits", identity: "second")
        await #expect(throws: RoomError.roomFull(limit: 2)) {
            try await service.join(JoinRequest(room: "limits", identity: "third", grants: Grants())) { _ in }
        }
        // Bad SDP is a typed error and the participant stays.
        await #expect(throws: RoomError.self) {
            try await service.publish(participantID: second.joined!.participantID, connection: 0, offer: "this is not sdp")
        }
        #expect(await service.counts().participants == 2)
        await #expect(throws: RoomError.unknownParticipant) {
            try await service.publish(participantID: "PA_nobody", connection: 0, offer: "v=0")
        }
        await service.shutdown()
    }

    @Test func theSameIdentityReplacesTheEarlierSession() async throws {
        let service = try Self.makeService()
        let first = Self.participant(service)
        let second = Self.participant(service)
        try await first.join(room: "replace", identity: "carol")
        try await second.join(room: "replace", identity: "carol")
        #expect(await Self.waitUntil(2) { first.events.contains(.sessionEnded(reason: .replaced)) })
        // The directory forgets the replaced participant asynchronously.
        #expect(await Self.eventually { await service.counts().participants == 1 })
        await service.shutdown()
    }
}

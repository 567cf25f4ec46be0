import Foundation
import RTP
import SDP
@testable import SFU
import Testing
import Transport

/// Redundant audio (RFC 2198) through the SFU core: a publisher sending Opus in RED, one
/// subscriber that negotiated RED (it gets RED) and one that did not (it gets the primary Opus
/// alone).
@Suite(.serialized) struct RoomRedundancyTests {
    @Test func redReachesSubscribersThatTookItAndThePrimaryAudioTheOthers() async throws {
        let service = try RoomForwardingTests.makeService()
        let alice = RoomForwardingTests.participant(service)
        let bob = RoomForwardingTests.participant(service)
        let carol = RoomForwardingTests.participant(service)
        carol.subscriberCapabilities.audioRED = false
        try await alice.join(room: "red", identity: "alice")
        let opus = try await alice.publishAudio(ssrc: 0xA1)
        let red = try #require(alice.publisherREDPayloadType, "the SFU's answer accepts RED")
        #expect(await RoomForwardingTests.waitUntil { alice.publisherConnected })
        try await bob.join(room: "red", identity: "bob")
        try await carol.join(room: "red", identity: "carol")
        #expect(await RoomForwardingTests.waitUntil { bob.subscriberConnected && carol.subscriberConnected })

        // The previous frame (3 bytes, 960 ticks back) and this one (4 bytes).
        let redundant: [UInt8] = [0xC1, 0xC2, 0xC3]
        let primary: [UInt8] = [0xD1, 0xD2, 0xD3, 0xD4]
        try alice.sendMedia(count: 30, ssrc: 0xA1, payloadType: red, payload: { _ in
            [0x80 | opus, 0x0F, 0x00, 0x03, opus] + redundant + primary
        })
        #expect(await RoomForwardingTests.waitUntil { bob.received.count >= 25 && carol.received.count >= 25 },
                "bob \(bob.received.count), carol \(carol.received.count)")
        let toBob = bob.received
        let toCarol = carol.received
        #expect(Set(toBob.map(\.payload.count)) == [12], "bob gets RED whole")
        #expect(toBob.allSatisfy { $0.payload[0] & 0x80 != 0 && $0.payload.suffix(7) == ArraySlice(redundant + primary) })
        #expect(toCarol.allSatisfy { $0.payload == primary }, "carol gets the primary block: \(toCarol.first.map(\.payload) ?? [])")
        #expect(Set(toBob.map(\.payloadType)).count == 1 && Set(toCarol.map(\.payloadType)).count == 1)
        // Bob's RED names his Opus payload type in its block headers: the type carol's packets carry
        // when both numbered Opus alike (the SFU offers both the same table).
        #expect(toBob.first.map { $0.payload[0] & 0x7F } == toCarol.first?.payloadType)
        try alice.close()
        try bob.close()
        try carol.close()
        await service.shutdown()
    }
}

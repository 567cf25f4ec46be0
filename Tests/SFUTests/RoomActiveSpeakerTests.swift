import Foundation
@testable import SFU
import Testing

/// Active speakers from the audio levels publishers stamp on their packets (RFC 6464), through the
/// SFU core over loopback; part of RoomForwardingTests' serialized suite (same ports).
extension RoomForwardingTests {
    static func speakerLists(_ participant: TestParticipant) -> [[String]] {
        participant.events.compactMap { if case .activeSpeakers(let ids) = $0 { ids } else { nil } }
    }

    /// `rounds` of 100 ms, each `packets` packets at `level` from every (participant, ssrc,
    /// payload type, next sequence) in `senders`.
    static func speak(_ senders: [(TestParticipant, UInt32, UInt8, UInt8)], rounds: Int, sequence: inout UInt16) async throws {
        for _ in 0..<rounds {
            for (participant, ssrc, payloadType, level) in senders {
                try participant.sendAudio(count: 5, ssrc: ssrc, payloadType: payloadType, firstSequence: sequence, level: level)
            }
            sequence &+= 5
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    @Test func speakersAreAnnouncedFromTheAudioLevelsPublishersStamp() async throws {
        let service = try Self.makeService()
        let alice = Self.participant(service)
        let bob = Self.participant(service)
        let carol = Self.participant(service)
        try await alice.join(room: "speakers", identity: "alice")
        try await bob.join(room: "speakers", identity: "bob")
        let aliceSSRC: UInt32 = 0x0A11_CE01
        let bobSSRC: UInt32 = 0x0B0B_0001
        let alicePT = try await alice.publishAudio(ssrc: aliceSSRC)
        let bobPT = try await bob.publishAudio(ssrc: bobSSRC)
        #expect(alice.publisherAudioLevelID != nil, "the SFU accepts the audio level extension")
        #expect(await Self.waitUntil { alice.publisherConnected && bob.publisherConnected })
        let aliceID = try #require(alice.joined?.participantID)
        let bobID = try #require(bob.joined?.participantID)
        var sequence: UInt16 = 100

        // Room noise at -60 dBov for a second is nobody speaking.
        try await Self.speak([(alice, aliceSSRC, alicePT, 60), (bob, bobSSRC, bobPT, 127)], rounds: 10, sequence: &sequence)
        #expect(Self.speakerLists(alice).isEmpty && Self.speakerLists(bob).isEmpty, "noise announced as speech")

        // Alice speaks at -20 dBov: everyone is told, within half a second of her first second.
        let started = Date()
        try await Self.speak([(alice, aliceSSRC, alicePT, 20), (bob, bobSSRC, bobPT, 127)], rounds: 10, sequence: &sequence)
        #expect(await Self.waitUntil(2) { Self.speakerLists(bob).last == [aliceID] && Self.speakerLists(alice).last == [aliceID] },
                "bob saw \(Self.speakerLists(bob)) \(Date().timeIntervalSince(started)) s after alice started")
        #expect(Self.speakerLists(bob).first == [aliceID], "alice was the first speaker announced")

        // Carol joins while alice speaks: she is told who speaks without waiting for a change.
        try await carol.join(room: "speakers", identity: "carol")
        try await Self.speak([(alice, aliceSSRC, alicePT, 20)], rounds: 3, sequence: &sequence)
        #expect(await Self.waitUntil(2) { Self.speakerLists(carol).first == [aliceID] }, "carol saw \(Self.speakerLists(carol))")

        // Alice falls silent and bob talks: bob ends up alone, holding the floor.
        try await Self.speak([(alice, aliceSSRC, alicePT, 127), (bob, bobSSRC, bobPT, 25)], rounds: 20, sequence: &sequence)
        #expect(await Self.waitUntil(2) { Self.speakerLists(alice).last == [bobID] }, "alice saw \(Self.speakerLists(alice))")

        // An admin-style mute of bob's track: his loud packets no longer count.
        let bobTrack = try #require(alice.events.compactMap { event -> String? in
            if case .trackPublished(let info) = event, info.participantID == bobID { info.id } else { nil }
        }.first)
        try await service.setMuted(participantID: bobID, connection: bob.joined!.connection, trackID: bobTrack, muted: true)
        try await Self.speak([(bob, bobSSRC, bobPT, 25)], rounds: 10, sequence: &sequence)
        #expect(await Self.waitUntil(2) { Self.speakerLists(alice).last == [] }, "alice saw \(Self.speakerLists(alice))")

        for participant in [alice, bob, carol] {
            await service.leave(participantID: participant.joined!.participantID, reason: .left)
            try participant.close()
        }
        await service.shutdown()
    }
}

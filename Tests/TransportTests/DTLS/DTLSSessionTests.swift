import TestSupport
import Testing
import SDP
@testable import Transport

/// Our DTLS session against a plain OpenSSL peer, joined in memory (no sockets).
@Suite struct DTLSSessionTests {
    /// Carries datagrams between our session and the plain peer until both settle.
    final class Link {
        let ours: DTLSSession
        let plain: PlainOpenSSLPeer
        var toPlain: [[UInt8]] = []
        var events: [DTLSSession.Event] = []
        /// Datagrams from us that the link drops (by index), to exercise retransmission.
        var dropFromOurs: Set<Int> = []
        private var sentByOurs = 0

        init(ours: DTLSSession, plain: PlainOpenSSLPeer) {
            self.ours = ours
            self.plain = plain
            ours.onSend = { [unowned self] datagram in
                defer { sentByOurs += 1 }
                if dropFromOurs.contains(sentByOurs) { return }
                toPlain.append(Array(datagram))
            }
        }

        func pump(rounds: Int = 20) {
            for _ in 0..<rounds {
                var moved = false
                while !toPlain.isEmpty {
                    plain.receive(toPlain.removeFirst())
                    moved = true
                }
                plain.step()
                while let datagram = plain.drain() {
                    moved = true
                    let event = datagram.withUnsafeBytes { ours.receive($0) }
                    if event != .none { events.append(event) }
                }
                if !moved { break }
            }
        }
    }

    static func makePair(ourRole: DTLSSession.Role, profiles: [SRTPProfile] = SRTPProfile.allCases,
                         plainProfiles: String = "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80",
                         corruptFingerprint: Bool = false) throws -> (Link, DTLSContext) {
        let plain = try PlainOpenSSLPeer(isClient: ourRole == .server, srtpProfiles: plainProfiles)
        var fingerprint = plain.certificate.fingerprint
        if corruptFingerprint {
            var bytes = fingerprint.bytes
            bytes[7] ^= 0x01
            fingerprint = Fingerprint(algorithm: "sha-256", bytes: bytes)
        }
        let context = try DTLSContext(certificate: try DTLSCertificate.generate(), srtpProfiles: profiles)
        let ours = try DTLSSession(context: context, role: ourRole, remoteFingerprint: fingerprint)
        return (Link(ours: ours, plain: plain), context)
    }

    @Test(arguments: [DTLSSession.Role.client, .server])
    func handshakeExportsIdenticalKeysOnBothSides(role: DTLSSession.Role) throws {
        let (link, context) = try Self.makePair(ourRole: role)
        if case let event = link.ours.start(), event != .none { link.events.append(event) }
        if role == .server { link.plain.step() }
        link.pump()

        #expect(link.ours.isConnected)
        guard case .connected(let keys) = link.events.last else {
            Issue.record("no connected event: \(link.events)")
            return
        }
        #expect(keys.profile == .aeadAES128GCM, "GCM is preferred when both sides offer it")
        #expect(link.plain.selectedProfile == keys.profile)
        // The plain peer's view of the same exporter block (RFC 5764 4.2).
        let plainKeys = SRTPKeyingMaterial(profile: keys.profile, exported: link.plain.exportSRTPBlock(keys.profile),
                                           isClient: role == .server)
        #expect(plainKeys.localKeyAndSalt == keys.remoteKeyAndSalt)
        #expect(plainKeys.remoteKeyAndSalt == keys.localKeyAndSalt)
        #expect(keys.localKeyAndSalt != keys.remoteKeyAndSalt)
        // The plain peer saw the certificate whose fingerprint we would put in our SDP.
        #expect(link.plain.peerFingerprint == context.certificate.fingerprint)
        #expect(link.ours.negotiatedCipher?.version == "DTLSv1.2")
    }

    @Test(arguments: [DTLSSession.Role.client, .server])
    func wrongFingerprintFailsTheHandshake(role: DTLSSession.Role) throws {
        let (link, _) = try Self.makePair(ourRole: role, corruptFingerprint: true)
        if case let event = link.ours.start(), event != .none { link.events.append(event) }
        if role == .server { link.plain.step() }
        link.pump()
        #expect(!link.ours.isConnected)
        guard case .failed(.fingerprintMismatch(let expected, let actual)) = link.events.last else {
            Issue.record("expected a fingerprint mismatch, got \(link.events)")
            return
        }
        #expect(expected != actual)
        #expect(actual == link.plain.certificate.fingerprint.hex)
        // Nothing more happens after failure.
        #expect([UInt8](repeating: 22, count: 40).withUnsafeBytes { link.ours.receive($0) } == .none)
    }

    @Test(arguments: SRTPProfile.allCases)
    func theServersPreferenceSelectsTheProfile(profile: SRTPProfile) throws {
        // We are the client offering both; a server that supports only one picks it.
        let (link, _) = try Self.makePair(ourRole: .client, plainProfiles: profile.openSSLName)
        link.events.append(link.ours.start())
        link.pump()
        guard case .connected(let keys) = link.events.last else {
            Issue.record("not connected: \(link.events)")
            return
        }
        #expect(keys.profile == profile)
        #expect(keys.localKeyAndSalt.count == profile.keyLength + profile.saltLength)
    }

    @Test func noCommonProfileFails() throws {
        let (link, _) = try Self.makePair(ourRole: .server, profiles: [.aeadAES128GCM],
                                          plainProfiles: "SRTP_AES128_CM_SHA1_80")
        link.plain.step()
        link.pump()
        #expect(!link.ours.isConnected)
        #expect(link.events.contains { if case .failed = $0 { true } else { false } })
    }

    @Test func garbageDatagramsDoNotDisturbTheHandshake() throws {
        let (link, _) = try Self.makePair(ourRole: .server)
        var rng = SplitMix64(seed: 7)
        for length in [0, 1, 13, 25, 200, 1500] {
            var junk = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if !junk.isEmpty { junk[0] = 22 }  // looks like a handshake record (RFC 7983)
            let event = junk.withUnsafeBytes { link.ours.receive($0) }
            if case .failed = event { Issue.record("garbage of \(length) bytes failed the session: \(event)") }
        }
        link.plain.step()
        link.pump()
        #expect(link.ours.isConnected)
        // And after connecting, garbage is dropped without closing.
        for _ in 0..<50 {
            var junk = (0..<64).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            junk[0] = 23
            _ = junk.withUnsafeBytes { link.ours.receive($0) }
        }
        #expect(link.ours.isConnected || link.ours.state == .closed || { if case .failed = link.ours.state { true } else { false } }())
    }

    @Test func closeNotifyFromThePeerClosesTheSession() throws {
        let (link, _) = try Self.makePair(ourRole: .client)
        link.events.append(link.ours.start())
        link.pump()
        #expect(link.ours.isConnected)
        link.plain.sendCloseNotify()
        let datagram = try #require(link.plain.drain())
        #expect(datagram.withUnsafeBytes { link.ours.receive($0) } == .closedByPeer)
        #expect(link.ours.state == .closed)
    }

    @Test func ourCloseSendsCloseNotify() throws {
        let (link, _) = try Self.makePair(ourRole: .client)
        link.events.append(link.ours.start())
        link.pump()
        link.toPlain.removeAll()
        link.ours.close()
        #expect(link.toPlain.count == 1, "one close_notify alert datagram")
        #expect(link.toPlain.first?.first == 21, "content type alert (RFC 6347 4.1)")
    }

    @Test func lostClientHelloIsRetransmittedOnTimeout() async throws {
        let (link, _) = try Self.makePair(ourRole: .client)
        link.dropFromOurs = [0]
        _ = link.ours.start()
        link.pump()
        #expect(!link.ours.isConnected)
        let timeout = try #require(link.ours.nextTimeoutMilliseconds)
        #expect(timeout > 0 && timeout <= 1000, "RFC 6347 4.2.4.1: initial timer 1 s")
        try await Task.sleep(for: .milliseconds(timeout + 20))
        #expect(link.ours.handleTimeout() == .none)
        link.pump()
        #expect(link.ours.isConnected)
    }
}


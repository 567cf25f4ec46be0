import Foundation
import Testing
import SDP
@testable import Transport

/// Two of our transports joined over loopback UDP (ICE through libnice, DTLS, SRTP), each on its
/// own media worker. Bound to 127.0.0.1 so that no packet leaves the machine; the test command
/// also runs inside a network namespace of its own (scripts/test.sh).
@Suite(.serialized) struct PeerTransportTests {
    static let workers = MediaWorkerPool(count: 2)
    static let context: DTLSContext = try! DTLSContext(certificate: try! DTLSCertificate.generate())
    static let ice = ICEConfiguration(portRange: 40000...40999, bindAddresses: ["127.0.0.1"])

    /// Records what a transport reports, readable from the test thread.
    final class Recorder: @unchecked Sendable {
        private let lock = NSLock()
        private var _events: [PeerTransport.Event] = []
        private var _payloads: [[UInt8]] = []
        var events: [PeerTransport.Event] { lock.withLock { _events } }
        var payloads: [[UInt8]] { lock.withLock { _payloads } }
        func add(_ event: PeerTransport.Event) { lock.withLock { _events.append(event) } }
        func add(payload: [UInt8]) { lock.withLock { _payloads.append(payload) } }
        var candidates: [String] { events.compactMap { if case .localCandidate(let c) = $0 { c } else { nil } } }
        var connected: SRTPProfile? {
            events.lazy.compactMap { if case .dtlsConnected(let p, _, _) = $0 { p } else { nil } }.first
        }
        var closeReason: PeerTransport.CloseReason? {
            events.lazy.compactMap { if case .closed(let r) = $0 { r } else { nil } }.first
        }
        var gathered: Bool { events.contains(.gatheringDone) }
    }

    struct Side {
        let transport: WorkerBound<PeerTransport>
        let recorder: Recorder
        var worker: MediaWorker { transport.worker }
        func run<T: Sendable>(_ body: @escaping @Sendable (PeerTransport) throws -> T) throws -> T {
            let bound = transport
            return try worker.sync { try body(bound.value) }
        }
    }

    static func makeSide(worker: MediaWorker, controlling: Bool, context: DTLSContext = Self.context,
                         timeouts: PeerTransport.Timeouts = .init(), ice: ICEConfiguration = Self.ice) throws -> Side {
        let recorder = Recorder()
        let bound = try worker.sync {
            let transport = try PeerTransport(worker: worker, dtlsContext: context, ice: ice, timeouts: timeouts,
                                              iceControlling: controlling)
            transport.onEvent = { recorder.add($0) }
            transport.onRTP = { buffer, length in recorder.add(payload: Array(buffer[12..<length])) }
            return WorkerBound(transport, worker: worker)
        }
        return Side(transport: bound, recorder: recorder)
    }

    static func waitUntil(_ seconds: Double = 10, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return condition()
    }

    /// Starts both sides with each other's parameters; `mutate` may spoil what B learns of A.
    static func connect(_ a: Side, _ b: Side, fingerprintForB: Fingerprint? = nil,
                        passwordForB: String? = nil) throws {
        let credsA = try a.run { $0.localICECredentials }
        let credsB = try b.run { $0.localICECredentials }
        let fingerprintA = try a.run { $0.localFingerprint }
        let fingerprintB = try b.run { $0.localFingerprint }
        try a.run {
            try $0.start(remote: .init(iceUfrag: credsB.ufrag, icePassword: credsB.password, fingerprint: fingerprintB,
                                       dtlsRole: .server))
        }
        try b.run {
            try $0.start(remote: .init(iceUfrag: credsA.ufrag, icePassword: passwordForB ?? credsA.password,
                                       fingerprint: fingerprintForB ?? fingerprintA, dtlsRole: .client))
        }
        #expect(waitUntil { a.recorder.gathered && b.recorder.gathered }, "both sides gathered")
        for candidate in a.recorder.candidates { _ = try b.run { try $0.addRemoteCandidate(candidate) } }
        for candidate in b.recorder.candidates { _ = try a.run { try $0.addRemoteCandidate(candidate) } }
        try a.run { $0.remoteCandidatesComplete() }
        try b.run { $0.remoteCandidatesComplete() }
    }

    @Test func twoTransportsConnectAndCarrySRTPBothWays() throws {
        let a = try Self.makeSide(worker: Self.workers.workers[0], controlling: false)
        let b = try Self.makeSide(worker: Self.workers.workers[1], controlling: true)
        try Self.connect(a, b)
        #expect(Self.waitUntil { a.recorder.connected != nil && b.recorder.connected != nil }, "DTLS connected: \(a.recorder.events)")
        #expect(a.recorder.connected == .aeadAES128GCM)
        #expect(a.recorder.candidates.allSatisfy { $0.contains("127.0.0.1") })

        // B sends 20 RTP packets; A gets the same payloads after SRTP.
        try b.run { transport in
            for sequence in 0..<20 {
                let buffer = transport.worker.packetBuffer
                let header: [UInt8] = [0x80, 96, 0, UInt8(sequence), 0, 0, 0, 1, 0xCA, 0xFE, 0xBA, 0xBE]
                for (i, byte) in header.enumerated() { buffer[i] = byte }
                for i in 0..<100 { buffer[12 + i] = UInt8(truncatingIfNeeded: sequence &+ i) }
                transport.sendRTP(buffer, length: 112)
            }
        }
        #expect(Self.waitUntil { a.recorder.payloads.count == 20 })
        #expect(a.recorder.payloads.first == (0..<100).map { UInt8($0) })
        let statsA = try a.run { $0.stats }
        #expect(statsA.rtpPacketsReceived == 20)
        #expect(statsA.unprotectFailures == 0)

        // A closes: B hears close_notify.
        try a.run { $0.close() }
        #expect(Self.waitUntil { b.recorder.closeReason == .dtlsClosedByPeer }, "\(b.recorder.events)")
        #expect(a.recorder.closeReason == .local)
        try b.run { $0.close() }
    }

    @Test func iceRestartKeepsDTLSAndMedia() throws {
        let a = try Self.makeSide(worker: Self.workers.workers[0], controlling: false)
        let b = try Self.makeSide(worker: Self.workers.workers[1], controlling: true)
        try Self.connect(a, b)
        #expect(Self.waitUntil { a.recorder.connected != nil && b.recorder.connected != nil })
        let oldUfrag = try a.run { $0.localICECredentials.ufrag }

        // RFC 8445 9: both sides take new credentials; the DTLS association stays.
        try b.run { try $0.ice.restart() }
        let credsB = try b.run { $0.localICECredentials }
        try a.run { try $0.restartICE(remoteUfrag: credsB.ufrag, remotePassword: credsB.password) }
        let credsA = try a.run { $0.localICECredentials }
        #expect(credsA.ufrag != oldUfrag)
        try b.run { try $0.ice.setRemoteCredentials(ufrag: credsA.ufrag, password: credsA.password) }
        for candidate in a.recorder.candidates { _ = try b.run { try $0.addRemoteCandidate(candidate) } }
        for candidate in b.recorder.candidates { _ = try a.run { try $0.addRemoteCandidate(candidate) } }
        let statesBefore = a.recorder.events.count
        #expect(Self.waitUntil {
            a.recorder.events.dropFirst(statesBefore).contains { $0 == .iceState(.ready) || $0 == .iceState(.connected) }
        }, "\(a.recorder.events)")

        try b.run { transport in
            let buffer = transport.worker.packetBuffer
            for sequence in 0..<5 {
                let header: [UInt8] = [0x80, 96, 0, UInt8(sequence), 0, 0, 0, 1, 0xCA, 0xFE, 0xBA, 0xBE]
                for (i, byte) in header.enumerated() { buffer[i] = byte }
                transport.sendRTP(buffer, length: 40)
            }
        }
        #expect(Self.waitUntil { a.recorder.payloads.count == 5 }, "media after the restart")
        let connects = a.recorder.events.filter { if case .dtlsConnected = $0 { true } else { false } }
        #expect(connects.count == 1, "DTLS is not renegotiated by an ICE restart")
        try a.run { $0.close() }
        try b.run { $0.close() }
    }

    @Test func aFingerprintMismatchClosesTheSession() throws {
        let a = try Self.makeSide(worker: Self.workers.workers[0], controlling: false)
        let b = try Self.makeSide(worker: Self.workers.workers[1], controlling: true)
        let wrong = Fingerprint(algorithm: "sha-256", bytes: [UInt8](repeating: 0xAB, count: 32))
        try Self.connect(a, b, fingerprintForB: wrong)
        #expect(Self.waitUntil { b.recorder.closeReason != nil })
        guard case .dtlsFailed(.fingerprintMismatch) = b.recorder.closeReason else {
            Issue.record("expected a fingerprint mismatch, got \(b.recorder.events)")
            return
        }
        #expect(b.recorder.connected == nil)
        try a.run { $0.close() }
    }

    @Test func wrongICECredentialsNeverConnect() throws {
        let a = try Self.makeSide(worker: Self.workers.workers[0], controlling: false)
        let b = try Self.makeSide(worker: Self.workers.workers[1], controlling: true)
        try Self.connect(a, b, passwordForB: "wrongwrongwrongwrongwrong")
        #expect(Self.waitUntil(8) { b.recorder.closeReason == .iceFailed }, "\(b.recorder.events)")
        #expect(a.recorder.connected == nil && b.recorder.connected == nil)
        try a.run { $0.close() }
        try b.run { $0.close() }
    }

    @Test func silenceAfterConnectingIsConsentLoss() throws {
        let a = try Self.makeSide(worker: Self.workers.workers[0], controlling: false,
                                  timeouts: .init(consentMilliseconds: 600))
        let b = try Self.makeSide(worker: Self.workers.workers[1], controlling: true)
        try Self.connect(a, b)
        #expect(Self.waitUntil { a.recorder.connected != nil })
        // B goes away without a word (no close_notify), as a killed tab does.
        try b.run { $0.ice.close() }
        #expect(Self.waitUntil(5) { a.recorder.closeReason == .consentLost }, "\(a.recorder.events)")
    }

    /// A network outage after connecting (a patient's Wi-Fi gone for a while), 12 s long: no
    /// consent check is answered in that time. libnice's consent-freshness mode failed the pair
    /// 10 s after the last answer, which stopped media (and, before that, closed the transport);
    /// now the pair outlives it, media flows again on it once the network is back, with no
    /// restart, and only the consent window's silence would end the session. An ICE restart
    /// afterwards still works. Loss by nftables on this test's own port range, inside the test's
    /// namespace.
    @Test(.enabled(if: NFTablesCut.available, "needs root and nft (the test command runs as root)"))
    func aNetworkOutageShorterThanTheConsentWindowIsRiddenOut() throws {
        let ice = ICEConfiguration(portRange: 41900...41999, bindAddresses: ["127.0.0.1"])
        let timeouts = PeerTransport.Timeouts(consentMilliseconds: 25_000)
        let a = try Self.makeSide(worker: Self.workers.workers[0], controlling: false, timeouts: timeouts, ice: ice)
        let b = try Self.makeSide(worker: Self.workers.workers[1], controlling: true, timeouts: timeouts, ice: ice)
        try Self.connect(a, b)
        #expect(Self.waitUntil { a.recorder.connected != nil && b.recorder.connected != nil })
        try Self.sendRTP(from: b, count: 5, marker: 1)
        #expect(Self.waitUntil { a.recorder.payloads.count == 5 })

        let cut = try NFTablesCut(udpPorts: 41900...41999)
        let failedDuringCut = Self.waitUntil(12) {
            a.recorder.events.contains(.iceState(.failed)) || b.recorder.events.contains(.iceState(.failed))
        }
        try cut.restore()
        #expect(!failedDuringCut, "a pair failed during a 12 s outage: \(a.recorder.events) / \(b.recorder.events)")
        #expect(a.recorder.closeReason == nil && b.recorder.closeReason == nil,
                "a transport closed during an outage shorter than the consent window: \(a.recorder.closeReason.map { "\($0)" } ?? "-")")
        // One packet every 100 ms, each with a sequence number of its own (SRTP drops replays).
        for round in 3..<33 where a.recorder.payloads.count < 10 {
            try Self.sendRTP(from: b, count: 1, marker: UInt8(round))
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(a.recorder.payloads.count >= 10, "media on the same pair after the outage: \(a.recorder.payloads.count - 5) packets")
        let beforeRestart = a.recorder.payloads.count

        // The controlling side restarts ICE, as sfu-client.js does when a connection stays down.
        try b.run { try $0.ice.restart() }
        let credsB = try b.run { $0.localICECredentials }
        try a.run { try $0.restartICE(remoteUfrag: credsB.ufrag, remotePassword: credsB.password) }
        let credsA = try a.run { $0.localICECredentials }
        try b.run { try $0.ice.setRemoteCredentials(ufrag: credsA.ufrag, password: credsA.password) }
        for candidate in a.recorder.candidates { _ = try b.run { try $0.addRemoteCandidate(candidate) } }
        for candidate in b.recorder.candidates { _ = try a.run { try $0.addRemoteCandidate(candidate) } }
        #expect(Self.waitUntil { try! a.run { $0.ice.state == .ready || $0.ice.state == .connected } })
        let deadline = Date().addingTimeInterval(5)
        while a.recorder.payloads.count < beforeRestart + 5, Date() < deadline {
            try Self.sendRTP(from: b, count: 5, marker: 100)
            Thread.sleep(forTimeInterval: 0.2)
        }
        #expect(a.recorder.payloads.count >= beforeRestart + 5,
                "media after the restart: \(a.recorder.payloads.count - beforeRestart) packets")
        #expect(a.recorder.closeReason == nil && b.recorder.closeReason == nil)
        try a.run { $0.close() }
        try b.run { $0.close() }
    }

    static func sendRTP(from side: Side, count: Int, marker: UInt8) throws {
        try side.run { transport in
            let buffer = transport.worker.packetBuffer
            for sequence in 0..<count {
                let header: [UInt8] = [0x80, 96, marker, UInt8(sequence), 0, 0, 0, 1, 0xCA, 0xFE, 0xBA, 0xBE]
                for (i, byte) in header.enumerated() { buffer[i] = byte }
                transport.sendRTP(buffer, length: 40)
            }
        }
    }

    @Test func twoHundredSessionsReleaseTheirDescriptorsAndMemory() throws {
        func openDescriptors() -> Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1 }
        func residentBytes() -> Int {
            let statm = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)) ?? ""
            let pages = statm.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
            return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
        }
        // Warm up: lazily created globals (libsrtp2, OpenSSL tables, GLib) and allocator arenas
        // reach their steady size first, so that what follows measures only per-session leaks.
        for _ in 0..<40 { try Self.openAndClose() }
        let descriptorsBefore = openDescriptors()
        let memoryBefore = residentBytes()
        for _ in 0..<200 { try Self.openAndClose() }
        Thread.sleep(forTimeInterval: 0.2)
        let descriptorsAfter = openDescriptors()
        let memoryAfter = residentBytes()
        print("200 sessions: descriptors \(descriptorsBefore) -> \(descriptorsAfter), resident \(memoryBefore / 1024) KiB -> \(memoryAfter / 1024) KiB")
        #expect(descriptorsAfter <= descriptorsBefore, "descriptors before \(descriptorsBefore), after \(descriptorsAfter)")
        // A leak of 16 KiB per session (an SSL, an SRTP context or an agent) would add 3.2 MiB.
        #expect(memoryAfter - memoryBefore < 3 * 1024 * 1024, "resident grew by \((memoryAfter - memoryBefore) / 1024) KiB")
    }

    static func openAndClose() throws {
        let a = try makeSide(worker: workers.workers[0], controlling: false)
        let b = try makeSide(worker: workers.workers[1], controlling: true)
        try connect(a, b)
        #expect(waitUntil { a.recorder.connected != nil && b.recorder.connected != nil })
        try a.run { $0.close() }
        try b.run { $0.close() }
        // Let the deferred agent releases run.
        try a.run { _ in () }
        try b.run { _ in () }
    }
}

import Foundation
import NIOCore
import NIOPosix
import STUN
import Testing
@testable import TURN

/// The relay over real sockets on 127.0.0.1: one relay worker, an ephemeral UDP port, a high relay
/// port range, user u/p, loopback peers allowed. Every receive has a timeout.
@Suite("TURN server end to end", .timeLimit(.minutes(1)))
struct EndToEndTests {
    /// Below the two ports `relayPortsExhausted` takes as its whole range: the suite's tests run
    /// in parallel, and a relay of another test on one of those ports made that test's first
    /// Allocate fail with 508 (CI-like run of 5e87d7d).
    static let relayPorts: ClosedRange<UInt16> = 61_000...61_899

    /// Runs `body` against a started server and stops it afterwards, also when `body` throws.
    func withServer(threads: Int = 1, _ configure: (inout TURNConfiguration) -> Void = { _ in },
                    _ body: (TURNServer, STUNTransportAddress) async throws -> Void) async throws {
        var configuration = TURNConfiguration()
        configuration.listenAddresses = [ip("127.0.0.1")]
        configuration.port = 0
        configuration.enableTCP = false
        configuration.relayPorts = Self.relayPorts
        configuration.users = ["u": "p"]
        configuration.peerPolicy.allowed = [net("127.0.0.0/8")]
        configuration.threads = threads
        configure(&configuration)
        try configuration.validate()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let server = try TURNServer(configuration: configuration, group: group)
        do {
            try await server.start()
            let address = try #require(server.boundAddresses.udp.first)
            #expect(address.ip == ip("127.0.0.1"))
            #expect(address.port != 0)
            try await body(server, address)
        } catch {
            await server.stop()
            try? await group.shutdownGracefully()
            throw error
        }
        await server.stop()
        try await group.shutdownGracefully()
    }

    @Test("Binding needs no credentials and reports the client's address")
    func binding() async throws {
        try await withServer { _, address in
            let client = try TURNTestClient(server: address)
            let request = STUNMessage(.binding, .request)
            let response = try client.transact(request.encode(fingerprint: true), transactionID: request.transactionID)
            #expect(response.message.type == STUNMessageType(method: .binding, messageClass: .successResponse))
            #expect(response.address(.xorMappedAddress) == client.address)
        }
    }

    @Test("Allocate: 401 with REALM and NONCE, then success with an integrity-protected response; a retransmission gets the same bytes")
    func allocate() async throws {
        try await withServer { server, address in
            let client = try TURNTestClient(server: address)

            // A small unauthenticated request: the short answer keeps what a client needs, with a
            // nonce that announces no PASSWORD-ALGORITHMS (none is listed, RFC 8489 9.2.5).
            let challenge = try client.challenge()
            #expect(challenge.message.type == STUNMessageType(method: .allocate, messageClass: .errorResponse))
            #expect(challenge.errorCode?.code == 401)
            #expect(client.realm == "sfu")
            let nonce = try #require(client.nonce)
            #expect(!NonceIssuer.announcesPasswordAlgorithms(nonce) && challenge.message.value(of: .passwordAlgorithms) == nil)
            #expect(!challenge.hasMessageIntegrity && !challenge.hasMessageIntegritySHA256)

            // A request as large as a real client's: the 401 also lists PASSWORD-ALGORITHMS, with FINGERPRINT.
            let padded = try client.challenge(extra: [.text(.software, String(repeating: "x", count: 160))])
            #expect(padded.errorCode?.code == 401)
            #expect(padded.message.value(of: .passwordAlgorithms) == STUNAttribute.passwordAlgorithms([.md5, .sha256]).value)
            #expect(padded.fingerprintIsValid)
            #expect(NonceIssuer.announcesPasswordAlgorithms(try #require(client.nonce)))

            // Authenticated Allocate.
            let request = client.message(.allocate) { _ in [.requestedTransport(17)] }
            let bytes = request.encode(integrity: .sha1(key: client.key()), fingerprint: true)
            let response = try client.transact(bytes, transactionID: request.transactionID)
            #expect(response.message.type == STUNMessageType(method: .allocate, messageClass: .successResponse))
            #expect(response.hasMessageIntegrity)
            #expect(!response.hasMessageIntegritySHA256)
            #expect(response.integrityIsValid(key: client.key()))
            #expect(!response.integrityIsValid(key: STUNLongTermKey.derive(username: "u", realm: "sfu", password: "wrong")))
            #expect(response.fingerprintIsValid)
            let relayed = try #require(response.address(.xorRelayedAddress))
            #expect(relayed.ip == ip("127.0.0.1"))
            #expect(Self.relayPorts.contains(relayed.port))
            #expect(response.lifetime == 600)
            #expect(response.address(.xorMappedAddress) == client.address)

            // Retransmitted (same transaction ID): the same response, byte for byte.
            let again = try client.transact(bytes, transactionID: request.transactionID)
            #expect(again.bytes == response.bytes)

            // A new Allocate on the same 5-tuple: 437.
            let second = try client.request(.allocate) { _ in [.requestedTransport(17)] }
            #expect(second.errorCode?.code == 437)
            #expect(second.integrityIsValid(key: client.key()))

            let statistics = await server.statistics()
            #expect(statistics.allocations == 1)
            #expect(statistics.allocationsCreated == 1)
        }
    }

    @Test("wrong password: 401 and counted; unsupported transport: 442; REQUESTED-TRANSPORT missing: 400")
    func allocateRefusals() async throws {
        try await withServer { server, address in
            let intruder = try TURNTestClient(server: address, username: "u", password: "guess")
            let refused = try intruder.request(.allocate) { _ in [.requestedTransport(17)] }
            #expect(refused.errorCode?.code == 401)
            #expect(!refused.hasMessageIntegrity)
            let stranger = try TURNTestClient(server: address, username: "nobody", password: "p")
            #expect(try stranger.request(.allocate) { _ in [.requestedTransport(17)] }.errorCode?.code == 401)

            let client = try TURNTestClient(server: address)
            #expect(try client.request(.allocate) { _ in [.requestedTransport(6)] }.errorCode?.code == 442)
            #expect(try client.request(.allocate).errorCode?.code == 400)

            let statistics = await server.statistics()
            #expect(statistics.authenticationFailures == 2)
            #expect(statistics.allocations == 0)
        }
    }

    @Test("a stale nonce gets 438 with a fresh nonce that then works")
    func staleNonce() async throws {
        try await withServer { _, address in
            let client = try TURNTestClient(server: address)
            try client.challenge()
            let request = STUNMessage(.allocate, .request, attributes: [
                .requestedTransport(17), .text(.username, "u"), .text(.realm, "sfu"), .text(.nonce, "obMatJos2gAAA00000000aaaaaaaaaaaaaaaa"),
            ])
            let stale = try client.transact(request.encode(integrity: .sha1(key: client.key()), fingerprint: true),
                                            transactionID: request.transactionID)
            #expect(stale.errorCode?.code == 438)
            #expect(stale.message.contains(.nonce))
            client.learn(from: stale)
            _ = try client.allocate()
        }
    }

    @Test("permissions, Send and Data indications, channels, statistics, and Refresh to 0")
    func relay() async throws {
        try await withServer { server, address in
            let client = try TURNTestClient(server: address)
            let peer = try UDPTestSocket()
            let (_, relayed) = try client.allocate()

            // No permission yet: the peer's datagram is dropped.
            try peer.send([0xEE], to: relayed)
            #expect(client.socket.receive(timeout: 0.3) == nil)

            // A private peer is refused (403); the loopback peer is allowed by configuration.
            #expect(try client.createPermission(STUNTransportAddress(ip: ip("10.0.0.1"), port: 9)).errorCode?.code == 403)
            let permitted = try client.createPermission(peer.address)
            #expect(permitted.message.type == STUNMessageType(method: .createPermission, messageClass: .successResponse))
            #expect(permitted.integrityIsValid(key: client.key()))

            // Send indication: the peer gets the data from the relayed address.
            let hello: [UInt8] = Array("hello peer".utf8)
            try client.sendIndication(hello, to: peer.address)
            let atPeer = try peer.expectDatagram("the Send indication's data")
            #expect(atPeer.bytes == hello)
            #expect(atPeer.source == relayed)

            // The peer answers: a Data indication with XOR-PEER-ADDRESS.
            let reply: [UInt8] = Array("hello client".utf8)
            try peer.send(reply, to: relayed)
            let dataIndication = try client.socket.expectDatagram("a Data indication")
            #expect(dataIndication.source == address)
            let decoded = try STUNMessage.decode(dataIndication.bytes)
            #expect(decoded.message.type == STUNMessageType(method: .data, messageClass: .indication))
            #expect(decoded.address(.xorPeerAddress) == peer.address)
            #expect(decoded.message.value(of: .data) == reply)

            // ChannelBind 0x4000, then ChannelData both ways.
            let bound = try client.channelBind(0x4000, peer.address)
            #expect(bound.message.type == STUNMessageType(method: .channelBind, messageClass: .successResponse))
            #expect(bound.integrityIsValid(key: client.key()))
            let toPeer: [UInt8] = [1, 2, 3, 4, 5]
            try client.sendChannelData(toPeer, channel: 0x4000)
            let channelAtPeer = try peer.expectDatagram("ChannelData's payload")
            #expect(channelAtPeer.bytes == toPeer)
            #expect(channelAtPeer.source == relayed)
            let toClient: [UInt8] = [9, 8, 7]
            try peer.send(toClient, to: relayed)
            let channelAtClient = try client.socket.expectDatagram("ChannelData from the peer")
            #expect(channelAtClient.bytes == [0x40, 0x00, 0x00, 0x03] + toClient)

            // A channel number outside 0x4000-0x7FFF is refused; a bound channel cannot move to another peer.
            #expect(try client.channelBind(0x3FFF, peer.address).errorCode?.code == 400)
            let otherPeer = STUNTransportAddress(ip: peer.address.ip, port: peer.address.port == 9 ? 10 : 9)
            #expect(try client.channelBind(0x4000, otherPeer).errorCode?.code == 400)
            // An unbound channel's data goes nowhere.
            try client.sendChannelData([0xAB], channel: 0x4001)
            #expect(peer.receive(timeout: 0.2) == nil)

            let statistics = await server.statistics()
            #expect(statistics.packetsToPeers == 2)
            #expect(statistics.packetsToClients == 2)
            #expect(statistics.bytesToPeers == hello.count + toPeer.count)
            #expect(statistics.bytesToClients == reply.count + toClient.count)
            #expect(statistics.dropped >= 2)
            #expect(statistics.refusedPeers == 1)
            #expect(statistics.allocations == 1)

            // Refresh with LIFETIME 0 deletes the allocation.
            let deleted = try client.refresh(lifetime: 0)
            #expect(deleted.message.type == STUNMessageType(method: .refresh, messageClass: .successResponse))
            #expect(deleted.lifetime == 0)
            #expect(try client.createPermission(peer.address).errorCode?.code == 437)
            #expect(try client.refresh(lifetime: 600).errorCode?.code == 437)
            try peer.send([0x55], to: relayed)
            #expect(client.socket.receive(timeout: 0.2) == nil)
            #expect(await server.statistics().allocations == 0)
        }
    }

    @Test("a Refresh with a LIFETIME extends the allocation per RFC 8656 7.2 rules")
    func refreshLifetime() async throws {
        try await withServer { _, address in
            let client = try TURNTestClient(server: address)
            _ = try client.allocate()
            #expect(try client.refresh(lifetime: 1200).lifetime == 1200)
            #expect(try client.refresh(lifetime: 30).lifetime == 600)
            #expect(try client.refresh(lifetime: 100_000).lifetime == 3600)
        }
    }

    @Test("a MESSAGE-INTEGRITY-SHA256 request is answered with MESSAGE-INTEGRITY-SHA256")
    func integritySHA256() async throws {
        try await withServer { _, address in
            let client = try TURNTestClient(server: address)
            let response = try client.request(.allocate, sha256: true) { _ in [.requestedTransport(17)] }
            #expect(response.message.messageClass == .successResponse)
            #expect(response.hasMessageIntegritySHA256)
            #expect(!response.hasMessageIntegrity)
            #expect(response.integrityIsValid(key: client.key()))
            #expect(response.fingerprintIsValid)
            let refreshed = try client.request(.refresh, sha256: true) { _ in [.lifetime(600)] }
            #expect(refreshed.message.messageClass == .successResponse)
            #expect(refreshed.hasMessageIntegritySHA256)
            #expect(refreshed.integrityIsValid(key: client.key()))
        }
    }

    @Test("PASSWORD-ALGORITHM SHA-256 (RFC 8489 9.2.4): the key is derived with SHA-256")
    func passwordAlgorithmSHA256() async throws {
        try await withServer { _, address in
            let client = try TURNTestClient(server: address)
            // Large enough for the full challenge, whose nonce announces PASSWORD-ALGORITHMS.
            try client.challenge(extra: [.text(.software, String(repeating: "x", count: 160))])
            let algorithms = STUNAttribute.passwordAlgorithms([.md5, .sha256])
            let request = client.message(.allocate) { _ in [.requestedTransport(17), algorithms, .passwordAlgorithm(.sha256)] }
            let key = client.key(.sha256)
            let response = try client.transact(request.encode(integrity: .sha256(key: key), fingerprint: true),
                                               transactionID: request.transactionID)
            #expect(response.message.messageClass == .successResponse, "\(String(describing: response.errorCode))")
            #expect(response.integrityIsValid(key: key))
            // The same request keyed with MD5 does not pass.
            let md5Request = client.message(.refresh) { _ in [algorithms, .passwordAlgorithm(.sha256)] }
            let refused = try client.transact(md5Request.encode(integrity: .sha256(key: client.key(.md5)), fingerprint: true),
                                              transactionID: md5Request.transactionID)
            #expect(refused.errorCode?.code == 401)
        }
    }

    @Test("an allocation over the per-user quota gets 486, and a freed slot can be used again")
    func quota() async throws {
        try await withServer({ $0.quotas.allocationsPerUser = 2 }) { server, address in
            let first = try TURNTestClient(server: address)
            let second = try TURNTestClient(server: address)
            let third = try TURNTestClient(server: address)
            _ = try first.allocate()
            _ = try second.allocate()
            let refused = try third.request(.allocate) { _ in [.requestedTransport(17)] }
            #expect(refused.errorCode?.code == 486)
            #expect(refused.integrityIsValid(key: third.key()))
            #expect(await server.statistics().allocations == 2)

            #expect(try first.refresh(lifetime: 0).message.messageClass == .successResponse)
            _ = try third.allocate()
            #expect(await server.statistics().allocations == 2)
            #expect(await server.statistics().allocationsCreated == 3)
        }
    }

    @Test("each allocation has a relay port of its own; with the range taken the next Allocate gets 508")
    func relayPortsExhausted() async throws {
        let ports: ClosedRange<UInt16> = 61_990...61_991
        try await withServer({ $0.relayPorts = ports }) { server, address in
            let first = try TURNTestClient(server: address)
            let second = try TURNTestClient(server: address)
            let third = try TURNTestClient(server: address)
            let (_, relayed1) = try first.allocate()
            let (_, relayed2) = try second.allocate()
            #expect(Set([relayed1.port, relayed2.port]) == Set(ports))
            let refused = try third.request(.allocate) { _ in [.requestedTransport(17)] }
            #expect(refused.errorCode?.code == 508)
            #expect(await server.statistics().allocations == 2)

            #expect(try first.refresh(lifetime: 0).message.messageClass == .successResponse)
            let (_, relayed3) = try third.allocate()
            #expect(relayed3.port == relayed1.port)
        }
    }

    @Test("port 0 with several relay workers: one port for all workers, and allocations on each work")
    func severalLoops() async throws {
        try await withServer(threads: 3) { server, address in
            #expect(server.boundAddresses.udp == [address])
            let peer = try UDPTestSocket()
            var clients: [(TURNTestClient, STUNTransportAddress)] = []
            for _ in 0..<6 {
                let client = try TURNTestClient(server: address)
                let (_, relayed) = try client.allocate()
                #expect(try client.createPermission(peer.address).message.messageClass == .successResponse)
                clients.append((client, relayed))
            }
            for (index, (client, relayed)) in clients.enumerated() {
                try client.sendIndication([UInt8(index)], to: peer.address)
                let received = try peer.expectDatagram("data from client \(index)")
                #expect(received.bytes == [UInt8(index)])
                #expect(received.source == relayed)
                try peer.send([UInt8(index), 0xFF], to: relayed)
                let indication = try STUNMessage.decode(try client.socket.expectDatagram("data for client \(index)").bytes)
                #expect(indication.message.value(of: .data) == [UInt8(index), 0xFF])
            }
            let statistics = await server.statistics()
            #expect(statistics.allocations == 6)
            #expect(statistics.packetsToPeers == 6)
            #expect(statistics.packetsToClients == 6)
        }
    }

    @Test("past the failed-authentication limit a user's requests from that address go unanswered; other users and Binding are served")
    func failureLimit() async throws {
        try await withServer({
            $0.users = ["u": "p", "v": "q"]
            $0.quotas.authenticationFailures = 2
            $0.quotas.authenticationWindowSeconds = 60
        }) { _, address in
            let guesser = try TURNTestClient(server: address, username: "u", password: "guess")
            #expect(try guesser.request(.allocate) { _ in [.requestedTransport(17)] }.errorCode?.code == 401)
            #expect(try guesser.request(.allocate) { _ in [.requestedTransport(17)] }.errorCode?.code == 401)
            // Limited for "u" from this address: even the right password goes unanswered.
            let rightful = try TURNTestClient(server: address, username: "u", password: "p")
            try rightful.challenge()
            let request = rightful.message(.allocate) { _ in [.requestedTransport(17)] }
            try rightful.socket.send(request.encode(integrity: .sha1(key: rightful.key()), fingerprint: true), to: address)
            #expect(rightful.socket.receive(timeout: 0.3) == nil)
            // Binding needs no authentication and is still answered.
            let binding = STUNMessage(.binding, .request)
            #expect(try guesser.transact(binding.encode(), transactionID: binding.transactionID).message.messageClass == .successResponse)
            // Another user behind the same address (one hospital NAT) is served.
            let neighbour = try TURNTestClient(server: address, username: "v", password: "q")
            _ = try neighbour.allocate()
            // A guesser rotating names is stopped by the address's total (10 x the limit).
            for index in 0..<18 {
                let rotating = try TURNTestClient(server: address, username: "x\(index)", password: "guess")
                _ = try? rotating.request(.allocate) { _ in [.requestedTransport(17)] }
            }
            let late = try TURNTestClient(server: address, username: "v", password: "q")
            let lateRequest = STUNMessage(.allocate, .request, attributes: [.requestedTransport(17)])
            try late.socket.send(lateRequest.encode(), to: address)
            #expect(late.socket.receive(timeout: 0.3) == nil, "the address is past its total: not even a challenge")
        }
    }

    @Test("REST credentials: the identity is what quotas count, an expired credential is refused")
    func restCredentials() async throws {
        let secret = "0123456789abcdef-secret"
        try await withServer({ $0.users = [:]; $0.restSecret = secret; $0.quotas.allocationsPerUser = 1 }) { _, address in
            let now = Int(Date().timeIntervalSince1970)
            let first = TURNRESTCredential.make(secret: secret, identity: "alice", now: now, lifetime: 3600)
            let second = TURNRESTCredential.make(secret: secret, identity: "alice", now: now, lifetime: 7200)
            let bob = TURNRESTCredential.make(secret: secret, identity: "bob", now: now, lifetime: 3600)
            let expired = TURNRESTCredential.make(secret: secret, identity: "carol", now: now - 7200, lifetime: 3600)

            _ = try TURNTestClient(server: address, username: first.username, password: first.password).allocate()
            let again = try TURNTestClient(server: address, username: second.username, password: second.password)
            #expect(try again.request(.allocate) { _ in [.requestedTransport(17)] }.errorCode?.code == 486)
            _ = try TURNTestClient(server: address, username: bob.username, password: bob.password).allocate()
            let late = try TURNTestClient(server: address, username: expired.username, password: expired.password)
            #expect(try late.request(.allocate) { _ in [.requestedTransport(17)] }.errorCode?.code == 401)
            let forged = try TURNTestClient(server: address, username: first.username, password: bob.password)
            #expect(try forged.request(.allocate) { _ in [.requestedTransport(17)] }.errorCode?.code == 401)
        }
    }

    @Test("a Send indication without a permission, or from a client without an allocation, is dropped")
    func sendWithoutPermission() async throws {
        try await withServer { server, address in
            let peer = try UDPTestSocket()
            let stranger = try TURNTestClient(server: address)
            try stranger.sendIndication([1], to: peer.address)
            try stranger.sendChannelData([2], channel: 0x4000)
            let client = try TURNTestClient(server: address)
            _ = try client.allocate()
            try client.sendIndication([3], to: peer.address)
            #expect(peer.receive(timeout: 0.3) == nil)
            let statistics = await server.statistics()
            #expect(statistics.packetsToPeers == 0)
            #expect(statistics.dropped == 3)
        }
    }

    @Test("stop closes the listener and the relayed addresses")
    func stop() async throws {
        var configuration = TURNConfiguration()
        configuration.listenAddresses = [ip("127.0.0.1")]
        configuration.port = 0
        configuration.enableTCP = false
        configuration.relayPorts = Self.relayPorts
        configuration.users = ["u": "p"]
        configuration.peerPolicy.allowed = [net("127.0.0.0/8")]
        configuration.threads = 1
        let server = try TURNServer(configuration: configuration)
        try await server.start()
        let address = try #require(server.boundAddresses.udp.first)
        let client = try TURNTestClient(server: address)
        let peer = try UDPTestSocket()
        let (_, relayed) = try client.allocate()
        #expect(try client.createPermission(peer.address).message.messageClass == .successResponse)
        await server.stop()
        try peer.send([1], to: relayed)
        #expect(client.socket.receive(timeout: 0.2) == nil)
        let binding = STUNMessage(.binding, .request)
        try client.socket.send(binding.encode(), to: address)
        #expect(client.socket.receive(timeout: 0.2) == nil)
        // The relay port is free again.
        #expect(throws: Never.self) { _ = try UDPTestSocket(port: relayed.port) }
    }
}

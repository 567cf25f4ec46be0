#if canImport(Glibc)
import Glibc
#endif
import DatagramIO
import STUN

/// STUN and TURN requests (RFC 8489 6.3, RFC 8656 7-12): checked, authenticated and answered on
/// the loop that received them.
extension TURNLoop {
    /// Attributes this server understands; any other comprehension-required one in a request is
    /// answered 420 (RFC 8489 6.3.1).
    static let knownAttributes: Set<STUNAttributeType> = [
        .mappedAddress, .username, .messageIntegrity, .errorCode, .unknownAttributes, .realm, .nonce,
        .messageIntegritySHA256, .passwordAlgorithm, .xorMappedAddress, .channelNumber, .lifetime, .xorPeerAddress,
        .data, .xorRelayedAddress, .requestedAddressFamily, .evenPort, .requestedTransport, .dontFragment,
        .reservationToken, .priority, .useCandidate,
    ]

    func handleSTUN(_ bytes: [UInt8], from endpoint: ClientEndpoint) {
        let received: STUNReceivedMessage
        do {
            received = try STUNMessage.decode(bytes)
        } catch {
            state.count { $0.malformedMessages += 1 }
            state.metrics.malformedMessages.increment()
            answerMalformed(bytes, error: error, endpoint: endpoint)
            return
        }
        let message = received.message
        // RFC 8489 14.7: a FINGERPRINT that does not match means this is not STUN after all.
        if received.hasFingerprint && !received.fingerprintIsValid {
            state.count { $0.malformedMessages += 1 }
            return
        }
        switch message.messageClass {
        case .indication:
            if message.method == .send { relaySendIndication(message, key: endpoint.key) }
        case .request:
            handleRequest(received, bytes.count, endpoint)
        case .successResponse, .errorResponse:
            break  // a server sends no requests, so no response is expected
        }
    }

    /// RFC 8489 6.3: a message that does not parse is discarded; a request whose header is intact
    /// gets 400 when that (28 bytes without a reason phrase) is no larger than what arrived.
    private func answerMalformed(_ bytes: [UInt8], error: STUNDecodeError, endpoint: ClientEndpoint) {
        guard bytes.count >= STUNMessage.headerLength + 8 || endpoint.sink.isStream, STUNMessage.looksLikeSTUN(bytes) else { return }
        let type = STUNMessageType(rawValue: UInt16(bytes[0]) << 8 | UInt16(bytes[1]))
        guard type.messageClass == .request, let id = STUNTransactionID(bytes: bytes[8..<20]) else { return }
        let request = STUNMessage(type: type, transactionID: id)
        send(error: STUNErrorCode(code: 400, reason: "Malformed"), to: request, endpoint: endpoint, requestSize: bytes.count)
    }

    private func handleRequest(_ received: STUNReceivedMessage, _ size: Int, _ endpoint: ClientEndpoint) {
        let message = received.message
        if message.method == .binding {
            // Binding needs no credentials (RFC 8489 3; coturn answers it unauthenticated too).
            if let unknown = unknownAttributes(message) {
                send(error: .unknownAttribute, to: message, endpoint: endpoint, requestSize: size, attributes: [.unknownAttributes(unknown)])
                return
            }
            let mapped = STUNAttribute.xorAddress(.xorMappedAddress, endpoint.clientAddress, transactionID: message.transactionID)
            send(success: message, endpoint: endpoint, attributes: [mapped], integrity: nil, requestSize: size)
            return
        }
        guard [.allocate, .refresh, .createPermission, .channelBind].contains(message.method) else {
            send(error: .badRequest, to: message, endpoint: endpoint, requestSize: size)
            return
        }
        guard let auth = authenticate(received, size: size, endpoint: endpoint) else { return }
        if let unknown = unknownAttributes(message) {
            send(error: .unknownAttribute, to: message, endpoint: endpoint, requestSize: size,
                 attributes: [.unknownAttributes(unknown)], integrity: auth.integrity)
            return
        }
        switch message.method {
        case .allocate: allocate(message, auth: auth, endpoint: endpoint)
        case .refresh: refresh(message, auth: auth, endpoint: endpoint)
        case .createPermission: createPermission(message, auth: auth, endpoint: endpoint)
        default: channelBind(message, auth: auth, endpoint: endpoint)
        }
    }

    private func unknownAttributes(_ message: STUNMessage) -> [STUNAttributeType]? {
        var unknown: [STUNAttributeType] = []
        for attribute in message.attributes where attribute.type.isComprehensionRequired
            && !Self.knownAttributes.contains(attribute.type) && !unknown.contains(attribute.type) {
            unknown.append(attribute.type)
        }
        return unknown.isEmpty ? nil : unknown
    }

    // MARK: Allocate (RFC 8656 7.2)

    private func allocate(_ message: STUNMessage, auth: Authenticated, endpoint: ClientEndpoint) {
        if let existing = allocations[endpoint.key] {
            // A retransmitted Allocate gets the same answer; anything else is a mismatch.
            if existing.createdBy == message.transactionID, !existing.allocateResponse.isEmpty {
                endpoint.sink.send(existing.allocateResponse, loop: self)
            } else {
                send(error: .allocationMismatch, to: message, endpoint: endpoint, integrity: auth.integrity)
            }
            return
        }
        guard let transport = message.attributes.first(where: { $0.type == .requestedTransport }) else {
            send(error: STUNErrorCode(code: 400, reason: "REQUESTED-TRANSPORT missing"), to: message, endpoint: endpoint, integrity: auth.integrity)
            return
        }
        guard let protocolNumber = transport.requestedTransport else {
            send(error: .badRequest, to: message, endpoint: endpoint, integrity: auth.integrity)
            return
        }
        guard protocolNumber == 17 else {
            send(error: .unsupportedTransportProtocol, to: message, endpoint: endpoint, integrity: auth.integrity)
            return
        }
        // RFC 8656 7.2: RESERVATION-TOKEN excludes EVEN-PORT and REQUESTED-ADDRESS-FAMILY.
        let token = message.value(of: .reservationToken)
        if token != nil, message.contains(.evenPort) || message.contains(.requestedAddressFamily) {
            send(error: .badRequest, to: message, endpoint: endpoint, integrity: auth.integrity)
            return
        }
        var portChoice = PortChoice.any
        if let evenPort = message.attributes.first(where: { $0.type == .evenPort }) {
            guard let reserve = evenPort.evenPortReserve else {
                send(error: .badRequest, to: message, endpoint: endpoint, integrity: auth.integrity)
                return
            }
            portChoice = reserve ? .evenReservingNext : .even
        }
        if let token {
            // The port was set aside by an earlier Allocate with EVEN-PORT R=1 (RTP's RTCP port).
            guard token.count == 8, let reservation = state.redeemReservation(token.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }) else {
                send(error: .insufficientCapacity, to: message, endpoint: endpoint, integrity: auth.integrity)
                return
            }
            portChoice = .reserved(reservation)
        }
        var family = STUNAddressFamily.ipv4
        if case .reserved(let reservation) = portChoice { family = reservation.address.ip.family }
        if let requested = message.attributes.first(where: { $0.type == .requestedAddressFamily }) {
            guard let parsed = requested.addressFamily else {
                send(error: .badRequest, to: message, endpoint: endpoint, integrity: auth.integrity)
                return
            }
            guard let requestedFamily = parsed else {
                send(error: .addressFamilyNotSupported, to: message, endpoint: endpoint, integrity: auth.integrity)
                return
            }
            family = requestedFamily
        }
        // RFC 8656 7.2: without REQUESTED-ADDRESS-FAMILY the relayed address is IPv4.
        guard let relayIP = relayAddress(for: family, endpoint: endpoint) else {
            send(error: .addressFamilyNotSupported, to: message, endpoint: endpoint, integrity: auth.integrity)
            return
        }
        guard state.reserveAllocation(identity: auth.identity) else {
            state.metrics.quotaRefusals.increment()
            send(error: .allocationQuotaReached, to: message, endpoint: endpoint, integrity: auth.integrity)
            return
        }
        let lifetime = Self.lifetime(requested: message.value(of: .lifetime), configuration.lifetimes)
        let allocation = Allocation(
            sink: endpoint.sink, clientAddress: endpoint.clientAddress, serverAddress: endpoint.serverAddress,
            username: auth.username, identity: auth.identity, family: family, createdBy: message.transactionID,
            expiry: now &+ lifetime, bytesPerSecond: configuration.quotas.bytesPerSecondPerAllocation)
        let relay: DatagramSocket
        let reservationToken: UInt64?
        do {
            (relay, reservationToken) = try bindRelay(ip: relayIP, choice: portChoice)
            try worker.register(relay: relay, for: allocation)
        } catch {
            state.releaseAllocation(identity: auth.identity)
            state.logger.warning("no relay port", metadata: ["error": "\(error)", "client": "\(endpoint.clientAddress)"])
            send(error: .insufficientCapacity, to: message, endpoint: endpoint, integrity: auth.integrity)
            return
        }
        let bound = relay.localAddress
        let advertised = STUNTransportAddress(ip: externalAddress(for: family) ?? bound.ip, port: bound.port)
        allocation.relaySocket = relay
        allocation.relayAddress = advertised
        allocations[endpoint.key] = allocation
        state.count { $0.allocationsCreated += 1 }
        state.metrics.allocationsCreated.increment()
        var attributes: [STUNAttribute] = [
            .xorAddress(.xorRelayedAddress, advertised, transactionID: message.transactionID),
            .lifetime(lifetime),
            .xorAddress(.xorMappedAddress, endpoint.clientAddress, transactionID: message.transactionID),
        ]
        if let reservationToken {
            attributes.append(STUNAttribute(type: .reservationToken, value: (0..<8).map { UInt8(truncatingIfNeeded: reservationToken >> (56 - 8 * UInt64($0))) }))
        }
        let response = encodeResponse(success: message, endpoint: endpoint, attributes: attributes, integrity: auth.integrity)
        allocation.allocateResponse = response
        endpoint.sink.send(response, loop: self)
        state.logger.debug("allocation", metadata: [
            "client": "\(endpoint.clientAddress)", "relay": "\(advertised)", "user": "\(auth.username)", "lifetime": "\(lifetime)",
        ])
    }

    /// RFC 8656 7.2: min(requested, maximum), but never below the default.
    static func lifetime(requested: [UInt8]?, _ lifetimes: TURNLifetimes) -> UInt32 {
        guard let bytes = requested, bytes.count == 4 else { return lifetimes.defaultAllocationSeconds }
        let value = bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return max(lifetimes.defaultAllocationSeconds, min(value, lifetimes.maximumAllocationSeconds))
    }

    private func relayAddress(for family: STUNAddressFamily, endpoint: ClientEndpoint) -> IPAddress? {
        if let configured = configuration.relayAddresses.first(where: { $0.family == family }) { return configured }
        if configuration.relayAddresses.isEmpty {
            if endpoint.serverAddress.ip.family == family, !endpoint.serverAddress.ip.isUnspecified { return endpoint.serverAddress.ip }
            // Another family than the request came in on (RFC 6156): a listening address of that
            // family, not loopback or link-local unless the client itself is on loopback.
            let ofFamily = state.listenAddresses.filter { $0.family == family && !$0.isLinkLocal }
            if endpoint.clientAddress.ip.isLoopback { return ofFamily.first { $0.isLoopback } ?? ofFamily.first }
            return ofFamily.first { !$0.isLoopback }
        }
        return nil
    }

    private func externalAddress(for family: STUNAddressFamily) -> IPAddress? {
        configuration.externalAddresses.first { $0.family == family }
    }

    enum PortChoice {
        case any
        case even
        /// EVEN-PORT with R=1 (RFC 8656 7.2): an even port, and the next one held for a later
        /// Allocate that brings the returned RESERVATION-TOKEN.
        case evenReservingNext
        case reserved(PortReservation)
    }

    /// A relay socket on a random port of the range (RFC 8656 7.2: unpredictable ports), tried
    /// again on another port when taken; and, for `evenReservingNext`, the reservation token of
    /// the port after it.
    private func bindRelay(ip: IPAddress, choice: PortChoice) throws(DatagramIOError) -> (DatagramSocket, UInt64?) {
        if case .reserved(let reservation) = choice {
            // Free the held port, then take it for this allocation.
            reservation.placeholder.close()
            return (try DatagramSocket(boundTo: reservation.address), nil)
        }
        let range = configuration.relayPorts
        var lastError = DatagramIOError(.bind, errno: EADDRINUSE, subject: "\(ip) ports \(range)")
        for _ in 0..<32 {
            var port = UInt16.random(in: range)
            if case .any = choice {} else {
                port &= ~1
                if port < range.lowerBound { port += 2 }
                if case .evenReservingNext = choice, port == range.upperBound || port == UInt16.max { port -= 2 }
            }
            do {
                let relay = try DatagramSocket(boundTo: STUNTransportAddress(ip: ip, port: port))
                guard case .evenReservingNext = choice else { return (relay, nil) }
                let next = STUNTransportAddress(ip: ip, port: port + 1)
                let placeholder = try DatagramSocket(boundTo: next)
                return (relay, state.reserve(PortReservation(address: next, placeholder: placeholder, expiry: now &+ 30)))
            } catch where error.isAddressInUse {
                lastError = error
            }
        }
        throw lastError
    }

    /// The 5-tuple's allocation, or the answer why not: 437 without one (RFC 8656 8.2, 9.2,
    /// 11.2), 441 when another user's credentials ask for it (RFC 8656 5).
    private func existingAllocation(for message: STUNMessage, auth: Authenticated, endpoint: ClientEndpoint) -> Allocation? {
        guard let allocation = allocations[endpoint.key] else {
            send(error: .allocationMismatch, to: message, endpoint: endpoint, integrity: auth.integrity)
            return nil
        }
        guard allocation.username == auth.username else {
            send(error: .wrongCredentials, to: message, endpoint: endpoint, integrity: auth.integrity)
            return nil
        }
        return allocation
    }

    // MARK: Refresh (RFC 8656 8.2)

    private func refresh(_ message: STUNMessage, auth: Authenticated, endpoint: ClientEndpoint) {
        guard let allocation = existingAllocation(for: message, auth: auth, endpoint: endpoint) else { return }
        if let requested = message.attributes.first(where: { $0.type == .requestedAddressFamily }) {
            guard case .some(.some(let family)) = requested.addressFamily, family == allocation.family else {
                send(error: .peerAddressFamilyMismatch, to: message, endpoint: endpoint, integrity: auth.integrity)
                return
            }
        }
        var lifetime = Self.lifetime(requested: message.value(of: .lifetime), configuration.lifetimes)
        if let bytes = message.value(of: .lifetime), bytes == [0, 0, 0, 0] {
            lifetime = 0
            allocations[endpoint.key] = nil
            close(allocation)
        } else {
            allocation.expiry = now &+ lifetime
        }
        send(success: message, endpoint: endpoint, attributes: [.lifetime(lifetime)], integrity: auth.integrity)
    }

    // MARK: CreatePermission (RFC 8656 9.2)

    private func createPermission(_ message: STUNMessage, auth: Authenticated, endpoint: ClientEndpoint) {
        guard let allocation = existingAllocation(for: message, auth: auth, endpoint: endpoint) else { return }
        let peerAttributes = message.attributes.filter { $0.type == .xorPeerAddress }
        guard !peerAttributes.isEmpty else {
            send(error: STUNErrorCode(code: 400, reason: "XOR-PEER-ADDRESS missing"), to: message, endpoint: endpoint, integrity: auth.integrity)
            return
        }
        var granted: [(IPAddress, ClosedRange<UInt16>?)] = []
        for attribute in peerAttributes {
            guard let peer = attribute.xorAddress(transactionID: message.transactionID) else {
                send(error: .badRequest, to: message, endpoint: endpoint, integrity: auth.integrity)
                return
            }
            guard peer.ip.family == allocation.family else {
                send(error: .peerAddressFamilyMismatch, to: message, endpoint: endpoint, integrity: auth.integrity)
                return
            }
            switch state.peerPolicy.verdict(for: peer.ip) {
            case .allowed: granted.append((peer.ip, nil))
            case .mediaPortsOnly: granted.append((peer.ip, state.peerPolicy.mediaEndpoints?.ports))
            case .refused(let reason):
                refusePeer(peer, reason: reason, message: message, endpoint: endpoint, auth: auth)
                return
            }
        }
        // RFC 8656 9.2: all or none.
        let expiry = now &+ configuration.lifetimes.permissionSeconds
        for (ip, ports) in granted {
            allocation.permissions[ip] = Permission(expiry: expiry, ports: ports)
        }
        send(success: message, endpoint: endpoint, attributes: [], integrity: auth.integrity)
    }

    private func refusePeer(_ peer: STUNTransportAddress, reason: String, message: STUNMessage, endpoint: ClientEndpoint,
                            auth: Authenticated) {
        state.count { $0.refusedPeers += 1 }
        state.metrics.refusedPeers.increment()
        state.logger.info("peer refused", metadata: ["peer": "\(peer)", "reason": "\(reason)", "client": "\(endpoint.clientAddress)", "user": "\(auth.username)"])
        send(error: STUNErrorCode(code: 403, reason: "Forbidden: \(reason)"), to: message, endpoint: endpoint, integrity: auth.integrity)
    }

    // MARK: ChannelBind (RFC 8656 11.2)

    private func channelBind(_ message: STUNMessage, auth: Authenticated, endpoint: ClientEndpoint) {
        guard let allocation = existingAllocation(for: message, auth: auth, endpoint: endpoint) else { return }
        guard let number = message.attributes.first(where: { $0.type == .channelNumber })?.channelNumber,
              ChannelData.validNumbers.contains(number),
              let peer = message.attributes.first(where: { $0.type == .xorPeerAddress })?.xorAddress(transactionID: message.transactionID) else {
            send(error: .badRequest, to: message, endpoint: endpoint, integrity: auth.integrity)
            return
        }
        guard peer.ip.family == allocation.family else {
            send(error: .peerAddressFamilyMismatch, to: message, endpoint: endpoint, integrity: auth.integrity)
            return
        }
        // RFC 8656 11.2: a channel stays bound to one peer, and a peer to one channel.
        if let existing = allocation.channels[number], existing.peer != peer {
            send(error: STUNErrorCode(code: 400, reason: "Channel bound to another peer"), to: message, endpoint: endpoint, integrity: auth.integrity)
            return
        }
        if let existing = allocation.channelByPeer[peer], existing != number {
            send(error: STUNErrorCode(code: 400, reason: "Peer bound to another channel"), to: message, endpoint: endpoint, integrity: auth.integrity)
            return
        }
        if case .refused(let reason) = state.peerPolicy.verdict(for: peer) {
            refusePeer(peer, reason: reason, message: message, endpoint: endpoint, auth: auth)
            return
        }
        let now = self.now
        let ports = state.peerPolicy.verdict(for: peer.ip) == .mediaPortsOnly ? state.peerPolicy.mediaEndpoints?.ports : nil
        allocation.channels[number] = ChannelBinding(peer: peer,
                                                     expiry: now &+ configuration.lifetimes.channelSeconds)
        allocation.channelByPeer[peer] = number
        // RFC 8656 11.2: binding a channel installs or refreshes the permission for the peer's IP.
        let permissionExpiry = now &+ configuration.lifetimes.permissionSeconds
        if (allocation.permissions[peer.ip]?.expiry ?? 0) <= permissionExpiry {
            allocation.permissions[peer.ip] = Permission(expiry: permissionExpiry, ports: ports)
        }
        send(success: message, endpoint: endpoint, attributes: [], integrity: auth.integrity)
    }
}

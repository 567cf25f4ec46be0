import STUN

/// A request that passed the long-term credential check (RFC 8489 9.2.4).
struct Authenticated {
    let username: String
    let identity: String
    /// The key and HMAC to protect the response with: the kind the request used.
    let integrity: STUNIntegrity
}

extension TURNLoop {
    /// The long-term credential mechanism (RFC 8489 9.2.4). Answers the request itself (401, 438,
    /// 400) and returns nil when it does not pass; failures count towards the client's limit.
    func authenticate(_ received: STUNReceivedMessage, size: Int, endpoint: ClientEndpoint) -> Authenticated? {
        let message = received.message
        let clientIP = endpoint.clientAddress.ip
        let now = self.now
        if state.limiter.isLimited(clientIP, now: now) {
            state.metrics.rateLimitedRequests.increment()
            return nil
        }
        guard received.hasMessageIntegrity || received.hasMessageIntegritySHA256 else {
            // The first request of every client: tell it the realm and a nonce. Not a failure.
            sendChallenge(.unauthenticated, to: message, endpoint: endpoint, requestSize: size)
            return nil
        }
        guard let username = message.attributes.first(where: { $0.type == .username })?.text(maximumBytes: 512),
              let realm = message.attributes.first(where: { $0.type == .realm })?.text(),
              let nonce = message.attributes.first(where: { $0.type == .nonce })?.text() else {
            send(error: STUNErrorCode(code: 400, reason: "USERNAME, REALM and NONCE are required"), to: message,
                 endpoint: endpoint, requestSize: size)
            return nil
        }
        if state.limiter.isLimited(clientIP, username: username, now: now) {
            state.metrics.rateLimitedRequests.increment()
            return nil
        }
        guard state.nonces.check(nonce, for: endpoint.clientAddress, now: now) == .valid else {
            sendChallenge(.staleNonce, to: message, endpoint: endpoint, requestSize: size)
            return nil
        }
        // RFC 8489 9.2.4: with the security-feature nonce, PASSWORD-ALGORITHMS must repeat ours and
        // PASSWORD-ALGORITHM pick one of them; a client sending neither uses MD5.
        var algorithm = STUNPasswordAlgorithm.md5
        let offered = message.value(of: .passwordAlgorithms)
        let chosen = message.attributes.first { $0.type == .passwordAlgorithm }
        if offered != nil || chosen != nil {
            guard NonceIssuer.announcesPasswordAlgorithms(nonce), offered == Self.passwordAlgorithms.value,
                  let code = chosen?.passwordAlgorithmCode, let picked = STUNPasswordAlgorithm(rawValue: code) else {
                send(error: STUNErrorCode(code: 400, reason: "PASSWORD-ALGORITHM(S) mismatch"), to: message, endpoint: endpoint, requestSize: size)
                return nil
            }
            algorithm = picked
        }
        guard realm == state.credentials.realm else {
            fail("wrong realm", username: username, message: message, endpoint: endpoint, size: size)
            return nil
        }
        let wallClock = Int(now)
        switch state.credentials.lookup(username: username, now: wallClock) {
        case .unknownUser:
            fail("unknown user", username: username, message: message, endpoint: endpoint, size: size)
            return nil
        case .expired:
            fail("credential expired", username: username, message: message, endpoint: endpoint, size: size)
            return nil
        case .found(let password, let identity):
            let key = STUNLongTermKey.derive(username: username, realm: realm, password: password, algorithm: algorithm)
            guard received.integrityIsValid(key: key) else {
                fail("wrong password", username: username, message: message, endpoint: endpoint, size: size)
                return nil
            }
            let integrity: STUNIntegrity = received.hasMessageIntegritySHA256 ? .sha256(key: key) : .sha1(key: key)
            return Authenticated(username: username, identity: identity, integrity: integrity)
        }
    }

    static let passwordAlgorithms = STUNAttribute.passwordAlgorithms([.md5, .sha256])

    private func fail(_ reason: String, username: String, message: STUNMessage, endpoint: ClientEndpoint, size: Int) {
        state.limiter.recordFailure(endpoint.clientAddress.ip, username: username, now: now)
        state.count { $0.authenticationFailures += 1 }
        state.metrics.authenticationFailures.increment()
        state.logger.info("authentication failed", metadata: [
            "reason": "\(reason)", "user": "\(username)", "client": "\(endpoint.clientAddress)", "method": "\(message.method)",
        ])
        sendChallenge(.unauthenticated, to: message, endpoint: endpoint, requestSize: size)
    }

    /// 401 or 438 with REALM, a fresh NONCE and PASSWORD-ALGORITHMS (RFC 8489 9.2.4), unprotected.
    /// Over UDP, when that is larger than the request, the short form instead: a nonce without the
    /// security-feature cookie (so no PASSWORD-ALGORITHMS is owed, RFC 8489 9.2.5), no reason
    /// phrase, SOFTWARE or FINGERPRINT. See `sendUnauthenticated` for what happens if even that
    /// does not fit.
    private func sendChallenge(_ error: STUNErrorCode, to message: STUNMessage, endpoint: ClientEndpoint, requestSize: Int) {
        let now = self.now
        let full = STUNMessage(message.method, .errorResponse, transactionID: message.transactionID, attributes: [
            .errorCode(error), .text(.realm, state.credentials.realm),
            .text(.nonce, state.nonces.issue(for: endpoint.clientAddress, now: now)), Self.passwordAlgorithms,
        ])
        let short = STUNMessage(message.method, .errorResponse, transactionID: message.transactionID, attributes: [
            .errorCode(STUNErrorCode(code: error.code, reason: "")), .text(.realm, state.credentials.realm),
            .text(.nonce, state.nonces.issue(for: endpoint.clientAddress, now: now, announcingFeatures: false)),
        ])
        sendUnauthenticated(full: full, short: short, request: message, endpoint: endpoint, requestSize: requestSize)
    }
}

import STUN

extension TURNLoop {
    /// A success response: the given attributes, SOFTWARE, then MESSAGE-INTEGRITY(-SHA256) and
    /// FINGERPRINT (RFC 8489 6.3.1.1, 14.5-14.7). Without integrity (Binding) it is an
    /// unauthenticated answer and obeys the amplification rule.
    func send(success request: STUNMessage, endpoint: ClientEndpoint, attributes: [STUNAttribute], integrity: STUNIntegrity?,
              requestSize: Int = .max) {
        let response = STUNMessage(request.method, .successResponse, transactionID: request.transactionID, attributes: attributes)
        guard integrity == nil else {
            endpoint.sink.send(encodeResponse(success: request, endpoint: endpoint, attributes: attributes, integrity: integrity!), loop: self)
            return
        }
        sendUnauthenticated(full: withSoftware(response), short: response, request: request, endpoint: endpoint, requestSize: requestSize)
    }

    /// A protected success response, also kept for retransmitted Allocates.
    func encodeResponse(success request: STUNMessage, endpoint: ClientEndpoint, attributes: [STUNAttribute],
                        integrity: STUNIntegrity) -> [UInt8] {
        let response = STUNMessage(request.method, .successResponse, transactionID: request.transactionID, attributes: attributes)
        return withSoftware(response).encode(integrity: integrity, fingerprint: true)
    }

    /// An error response with ERROR-CODE first (RFC 8489 14.8). Protected when the request was
    /// authenticated; otherwise an unauthenticated answer (the reason phrase may go).
    func send(error: STUNErrorCode, to request: STUNMessage, endpoint: ClientEndpoint, requestSize: Int = .max,
              attributes: [STUNAttribute] = [], integrity: STUNIntegrity? = nil) {
        let response = STUNMessage(request.method, .errorResponse, transactionID: request.transactionID,
                                   attributes: [.errorCode(error)] + attributes)
        if let integrity {
            endpoint.sink.send(withSoftware(response).encode(integrity: integrity, fingerprint: true), loop: self)
            return
        }
        var short = response
        short.attributes[0] = .errorCode(STUNErrorCode(code: error.code, reason: ""))
        sendUnauthenticated(full: withSoftware(response), short: short, request: request, endpoint: endpoint, requestSize: requestSize)
    }

    private func withSoftware(_ message: STUNMessage) -> STUNMessage {
        var out = message
        if let software = configuration.software { out.append(.text(.software, software)) }
        return out
    }

    /// The amplification rule for answers sent before authentication over UDP, where the source
    /// address may be forged (RFC 8489 16.1.3 on reflection, RFC 8656 21.1.3): the full answer
    /// (with FINGERPRINT) when it is no larger than the request, else the short form. If even that
    /// is larger, it goes out only to the two requests an honest client sends first without
    /// credentials, Binding and Allocate (RFC 8489 needs a Binding answer's XOR-MAPPED-ADDRESS,
    /// 32 or 44 bytes, and an Allocate's 401, 64 bytes with the default realm for a 28-byte request from Chromium);
    /// anything else is dropped and counted. Streams (TCP, TLS) have a handshake and get the
    /// full answer.
    func sendUnauthenticated(full: STUNMessage, short: STUNMessage, request: STUNMessage, endpoint: ClientEndpoint, requestSize: Int) {
        let fullBytes = full.encode(fingerprint: true)
        if endpoint.sink.isStream || fullBytes.count <= requestSize {
            endpoint.sink.send(fullBytes, loop: self)
            return
        }
        let shortBytes = short.encode()
        if shortBytes.count <= requestSize || request.method == .binding || request.method == .allocate {
            if shortBytes.count > requestSize { state.count { $0.oversizedUnauthenticatedAnswers += 1 } }
            endpoint.sink.send(shortBytes, loop: self)
        } else {
            state.count { $0.unansweredForSize += 1 }
        }
    }
}

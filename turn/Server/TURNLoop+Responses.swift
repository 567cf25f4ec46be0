import STUN

extension TURNLoop {
    /// A success response: the given attributes, SOFTWARE, then MESSAGE-INTEGRITY(-SHA256) and
    /// FINGERPRINT (RFC 8489 6.3.1.1, 14.5-14.7).
    func send(success request: STUNMessage, endpoint: ClientEndpoint, attributes: [STUNAttribute], integrity: STUNIntegrity?,
              requestSize: Int = .max) {
        let bytes = encodeResponse(success: request, endpoint: endpoint, attributes: attributes, integrity: integrity,
                                   requestSize: requestSize)
        if let bytes { endpoint.sink.writeAndFlush(bytes) }
    }

    func encodeResponse(success request: STUNMessage, endpoint: ClientEndpoint, attributes: [STUNAttribute],
                        integrity: STUNIntegrity) -> [UInt8] {
        encodeResponse(success: request, endpoint: endpoint, attributes: attributes, integrity: integrity, requestSize: .max)!
    }

    private func encodeResponse(success request: STUNMessage, endpoint: ClientEndpoint, attributes: [STUNAttribute],
                                integrity: STUNIntegrity?, requestSize: Int) -> [UInt8]? {
        let response = STUNMessage(request.method, .successResponse, transactionID: request.transactionID, attributes: attributes)
        return fit(response, essential: attributes.count, integrity: integrity, endpoint: endpoint, requestSize: requestSize)
    }

    /// An error response with ERROR-CODE first (RFC 8489 14.8).
    func send(error: STUNErrorCode, to request: STUNMessage, endpoint: ClientEndpoint, requestSize: Int = .max,
              attributes: [STUNAttribute] = [], integrity: STUNIntegrity? = nil) {
        let response = STUNMessage(request.method, .errorResponse, transactionID: request.transactionID,
                                   attributes: [.errorCode(error)] + attributes)
        let essential = error == .unauthenticated || error == .staleNonce ? 3 : 1 + attributes.count
        if let bytes = fit(response, essential: essential, integrity: integrity, endpoint: endpoint, requestSize: requestSize) {
            endpoint.sink.writeAndFlush(bytes)
        }
    }

    /// Amplification guard: an unauthenticated answer over UDP carries no more than the request
    /// did, so a forged source address buys an attacker no extra bytes (RFC 8489 16.1.3 on
    /// reflection; RFC 8656 21.1.3). Optional parts go first: SOFTWARE, FINGERPRINT, anything past
    /// `essential`, the reason phrase. What still does not fit is the minimum an honest client
    /// needs (a Binding's XOR-MAPPED-ADDRESS, a 401's REALM and NONCE), sent as is: every real
    /// client's request that reaches this point is at least that large (see docs/operations.md).
    private func fit(_ response: STUNMessage, essential: Int, integrity: STUNIntegrity?, endpoint: ClientEndpoint,
                     requestSize: Int) -> [UInt8]? {
        var full = response
        if let software = configuration.software { full.append(.text(.software, software)) }
        let bytes = full.encode(integrity: integrity, fingerprint: true)
        guard integrity == nil, !endpoint.sink.isStream, bytes.count > requestSize else { return bytes }
        var trimmed = response
        var encoded = trimmed.encode(integrity: nil, fingerprint: false)
        while encoded.count > requestSize && trimmed.attributes.count > essential {
            trimmed.attributes.removeLast()
            encoded = trimmed.encode(integrity: nil, fingerprint: false)
        }
        if encoded.count > requestSize, let index = trimmed.attributes.firstIndex(where: { $0.type == .errorCode }),
           let code = trimmed.attributes[index].errorCode {
            trimmed.attributes[index] = .errorCode(STUNErrorCode(code: code.code, reason: ""))
            encoded = trimmed.encode(integrity: nil, fingerprint: false)
        }
        if encoded.count > requestSize {
            state.count { $0.oversizedUnauthenticatedAnswers += 1 }
        }
        return encoded
    }
}

import COpenSSL
import SDP

/// One DTLS association over one ICE transport: owns one OpenSSL `SSL`.
///
/// It has no sockets and no timers of its own: the owner feeds it received datagrams
/// (`receive`), sends what it emits (`onSend`, one datagram per call), and calls
/// `handleTimeout` when `nextTimeout` elapses (RFC 6347 4.2.4 retransmission). That keeps it
/// testable in memory and lets the media worker own every timer. Not thread-safe: one worker.
public final class DTLSSession {
    /// RFC 5763 5 / RFC 8842: who sends the ClientHello. From `a=setup`: `active` is the client.
    public enum Role: Sendable, Equatable { case client, server }

    public enum State: Sendable, Equatable {
        case new, handshaking, connected, closed
        case failed(DTLSError)
    }

    /// What a call changed, for the owner to act on.
    public enum Event: Sendable, Equatable {
        case none
        case connected(SRTPKeyingMaterial)
        /// The peer sent close_notify (RFC 5246 7.2.1).
        case closedByPeer
        case failed(DTLSError)
    }

    /// Handshake datagrams are fragmented to fit this many bytes of UDP payload: 1200 is
    /// safe under the IPv6 minimum MTU with TURN encapsulation (as browsers use).
    public static let defaultMTU = 1200

    public let role: Role
    public private(set) var state: State = .new
    /// Called with every datagram to send; valid only during the call.
    public var onSend: (UnsafeRawBufferPointer) -> Void = { _ in }

    private let context: DTLSContext
    private let ssl: OpaquePointer
    private let remoteFingerprint: Fingerprint
    private var fingerprintError: DTLSError?
    /// The datagram `receive` is processing, read once by the BIO.
    private var pendingDatagram: UnsafeRawBufferPointer?
    private var readScratch = [UInt8](repeating: 0, count: 2048)

    public init(context: DTLSContext, role: Role, remoteFingerprint: Fingerprint) throws(DTLSError) {
        OpenSSLErrorStack.clear()
        guard Fingerprint.digest(for: remoteFingerprint.algorithm) != nil else {
            throw .unsupportedFingerprintAlgorithm(remoteFingerprint.algorithm)
        }
        guard let ssl = SSL_new(context.context) else {
            throw .sessionSetupFailed(step: "SSL_new", openSSL: OpenSSLErrorStack.drain())
        }
        self.ssl = ssl
        self.context = context
        self.role = role
        self.remoteFingerprint = remoteFingerprint
        guard let bio = DTLSDatagramBIO.make(for: self) else {
            SSL_free(ssl)
            throw .sessionSetupFailed(step: "BIO_new", openSSL: OpenSSLErrorStack.drain())
        }
        SSL_set_bio(ssl, bio, bio)  // the SSL owns the BIO from here
        SSL_set_ex_data(ssl, 0, Unmanaged.passUnretained(self).toOpaque())
        _ = sfu_SSL_set_mtu(ssl, Self.defaultMTU - 28)
        switch role {
        case .client: SSL_set_connect_state(ssl)
        case .server: SSL_set_accept_state(ssl)
        }
    }

    deinit {
        SSL_set_ex_data(ssl, 0, nil)
        SSL_free(ssl)
    }

    public var isConnected: Bool { state == .connected }

    /// The negotiated DTLS version and cipher, once connected ("DTLSv1.2", "ECDHE-ECDSA-…").
    public var negotiatedCipher: (version: String, cipher: String)? {
        guard state == .connected, let cipher = SSL_get_current_cipher(ssl) else { return nil }
        return (String(cString: SSL_get_version(ssl)), String(cString: SSL_CIPHER_get_name(cipher)))
    }

    /// Starts the handshake. A client sends its ClientHello now; a server waits for one.
    public func start() -> Event {
        guard state == .new else { return .none }
        state = .handshaking
        return role == .client ? advanceHandshake() : .none
    }

    /// Processes one received DTLS datagram (RFC 7983 first byte 20-63).
    public func receive(_ datagram: UnsafeRawBufferPointer) -> Event {
        // Shorter than a record header (RFC 6347 4.1: 13 bytes) cannot be DTLS; OpenSSL would
        // read an empty datagram as end of stream.
        guard datagram.count >= 13 else { return .none }
        switch state {
        case .closed, .failed: return .none
        case .new:
            // A server may see the ClientHello before its owner called start().
            state = .handshaking
        case .handshaking, .connected: break
        }
        pendingDatagram = datagram
        defer { pendingDatagram = nil }
        if state == .handshaking { return advanceHandshake() }
        return readAfterHandshake()
    }

    /// Milliseconds until `handleTimeout` must be called, or nil when no timer is running.
    public var nextTimeoutMilliseconds: Int? {
        guard state == .handshaking else { return nil }
        var tv = timeval()
        guard sfu_DTLSv1_get_timeout(ssl, &tv) == 1 else { return nil }
        return max(0, tv.tv_sec * 1000 + tv.tv_usec / 1000)
    }

    /// Retransmits the last flight if its timer expired (RFC 6347 4.2.4).
    public func handleTimeout() -> Event {
        guard state == .handshaking else { return .none }
        OpenSSLErrorStack.clear()
        if sfu_DTLSv1_handle_timeout(ssl) < 0 {
            // OpenSSL gives up after its retransmission limit.
            return fail(.handshakeTimedOut)
        }
        return .none
    }

    /// Sends close_notify (RFC 5246 7.2.1) and stops. Safe to call in any state.
    public func close() {
        if state == .connected {
            OpenSSLErrorStack.clear()
            _ = SSL_shutdown(ssl)
            OpenSSLErrorStack.clear()
        }
        if case .failed = state { return }
        state = .closed
    }

    // MARK: - Handshake

    private func advanceHandshake() -> Event {
        OpenSSLErrorStack.clear()
        let result = SSL_do_handshake(ssl)
        if result == 1 { return handshakeCompleted() }
        let error = SSL_get_error(ssl, result)
        if error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE { return .none }
        if let fingerprintError { return fail(fingerprintError) }
        return fail(.handshakeFailed(openSSL: OpenSSLErrorStack.drain()))
    }

    private func handshakeCompleted() -> Event {
        // The verify callback already compared the fingerprint; a peer that sent no certificate
        // never reaches the callback, so check that here too.
        guard let peer = SSL_get1_peer_certificate(ssl) else { return fail(.noPeerCertificate) }
        X509_free(peer)
        if let fingerprintError { return fail(fingerprintError) }
        guard let selected = SSL_get_selected_srtp_profile(ssl),
            let profile = SRTPProfile(identifier: UInt16(truncatingIfNeeded: selected.pointee.id))
        else { return fail(.noSRTPProfileNegotiated) }
        var block = [UInt8](repeating: 0, count: SRTPKeyingMaterial.exportLength(for: profile))
        let label = "EXTRACTOR-dtls_srtp"  // RFC 5764 4.2
        let exported = block.withUnsafeMutableBufferPointer { out in
            SSL_export_keying_material(ssl, out.baseAddress, out.count, label, label.utf8.count, nil, 0, 0)
        }
        guard exported == 1 else { return fail(.keyExportFailed(openSSL: OpenSSLErrorStack.drain())) }
        state = .connected
        return .connected(SRTPKeyingMaterial(profile: profile, exported: block, isClient: role == .client))
    }

    private func readAfterHandshake() -> Event {
        // Post-handshake records: alerts, a retransmitted final flight from the peer, or data
        // (we carry no data channel: application data is read and dropped).
        OpenSSLErrorStack.clear()
        while true {
            let result = readScratch.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
            if result > 0 { continue }
            let error = SSL_get_error(ssl, result)
            switch error {
            case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
                return .none
            case SSL_ERROR_ZERO_RETURN:
                // close_notify: answer it and stop (RFC 5246 7.2.1).
                _ = SSL_shutdown(ssl)
                OpenSSLErrorStack.clear()
                state = .closed
                return .closedByPeer
            default:
                return fail(.handshakeFailed(openSSL: OpenSSLErrorStack.drain()))
            }
        }
    }

    private func fail(_ error: DTLSError) -> Event {
        state = .failed(error)
        return .failed(error)
    }

    // MARK: - Called by DTLSDatagramBIO and the verify callback (same thread, inside OpenSSL calls)

    func bioSendDatagram(_ datagram: UnsafeRawBufferPointer) { onSend(datagram) }

    /// Copies the pending datagram into OpenSSL's buffer once; -1 when there is none.
    func bioTakeDatagram(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard let datagram = pendingDatagram else { return -1 }
        pendingDatagram = nil
        let count = min(datagram.count, buffer.count)
        buffer.baseAddress!.copyMemory(from: datagram.baseAddress!, byteCount: count)
        return count
    }

    /// RFC 8122 5 / RFC 5763 5: the certificate must hash to the SDP's fingerprint.
    func verifyPeer(_ certificate: OpaquePointer) -> Bool {
        do {
            let actual = try Fingerprint.of(certificate, algorithm: remoteFingerprint.algorithm)
            guard actual.bytes == remoteFingerprint.bytes else {
                fingerprintError = .fingerprintMismatch(expected: remoteFingerprint.hex, actual: actual.hex)
                return false
            }
            return true
        } catch {
            fingerprintError = error
            return false
        }
    }
}

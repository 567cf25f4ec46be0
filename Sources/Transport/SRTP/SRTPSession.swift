import CSRTP

/// One direction of SRTP/SRTCP for a transport: owns one libsrtp2 `srtp_t`.
///
/// A transport has two: an outbound session keyed with our write key (`ssrc_any_outbound`, so any
/// SSRC we send is protected without per-stream set-up) and an inbound one keyed with the peer's
/// (`ssrc_any_inbound`). Protect and unprotect work in place on the caller's buffer and allocate
/// nothing (RFC 3711 3.3 and 3.4). Not thread-safe: used only on the owning media worker.
public final class SRTPSession {
    public enum Direction: Sendable { case inbound, outbound }

    /// Replay window in packets (RFC 3711 3.3.2). libsrtp2's default of 128 is short for video,
    /// where NACK retransmissions and reordering can bring packets several hundred behind.
    public static let replayWindow: UInt = 4096

    public let profile: SRTPProfile
    public let direction: Direction
    private var session: srtp_t?

    public init(profile: SRTPProfile, keyAndSalt: [UInt8], direction: Direction) throws(SRTPError) {
        try SRTPLibrary.ensureInitialized()
        let expected = profile.keyLength + profile.saltLength
        guard keyAndSalt.count == expected else { throw .wrongKeyLength(expected: expected, got: keyAndSalt.count) }
        self.profile = profile
        self.direction = direction

        var policy = srtp_policy_t()
        switch profile {
        case .aeadAES128GCM:
            sfu_srtp_policy_aead_aes_128_gcm(&policy.rtp)
            sfu_srtp_policy_aead_aes_128_gcm(&policy.rtcp)
        case .aesCM128HMACSHA1_80:
            sfu_srtp_policy_aes_cm_128_hmac_sha1_80(&policy.rtp)
            sfu_srtp_policy_aes_cm_128_hmac_sha1_80(&policy.rtcp)
        }
        policy.ssrc.type = direction == .inbound ? ssrc_any_inbound : ssrc_any_outbound
        policy.window_size = Self.replayWindow
        // Retransmissions answered from the packet cache without RTX repeat a sequence number
        // with the same payload, which RFC 3711 permits; libsrtp2 refuses them unless told.
        policy.allow_repeat_tx = direction == .outbound ? 1 : 0
        policy.next = nil

        var created: srtp_t?
        let status: srtp_err_status_t = keyAndSalt.withUnsafeBufferPointer { key in
            // srtp_create copies the key; the pointer only needs to live for this call.
            policy.key = UnsafeMutablePointer(mutating: key.baseAddress)
            return srtp_create(&created, &policy)
        }
        guard status == srtp_err_status_ok, let created else {
            throw .sessionCreateFailed(status: Int(status.rawValue))
        }
        session = created
    }

    deinit {
        if let session { srtp_dealloc(session) }
    }

    /// Bytes protect may add to an RTP or RTCP packet: reserve this much after the packet.
    public static let maximumTrailer = Int(SRTP_MAX_TRAILER_LEN) + 4

    /// Protects the RTP packet of `length` bytes at the start of `buffer` in place; returns the
    /// protected length. The buffer must have `maximumTrailer` bytes of room after the packet.
    @inline(__always)
    public func protectRTP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        try protect(buffer, length: length, minimumLength: 12, with: srtp_protect)
    }

    /// Protects an RTCP compound packet in place (RFC 3711 3.4); returns the protected length.
    @inline(__always)
    public func protectRTCP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        try protect(buffer, length: length, minimumLength: 8, with: srtp_protect_rtcp)
    }

    /// Authenticates and decrypts an SRTP packet in place; returns the plain RTP length.
    @inline(__always)
    public func unprotectRTP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        try unprotect(buffer, length: length, minimumLength: 12, with: srtp_unprotect)
    }

    /// Authenticates and decrypts an SRTCP packet in place; returns the plain RTCP length.
    @inline(__always)
    public func unprotectRTCP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        try unprotect(buffer, length: length, minimumLength: 8, with: srtp_unprotect_rtcp)
    }

    /// libsrtp2's four in-place operations share one signature: (session, packet, inout length).
    private typealias Operation = (srtp_t?, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int32>?) -> srtp_err_status_t

    @inline(__always)
    private func protect(_ buffer: UnsafeMutableRawBufferPointer, length: Int, minimumLength: Int,
                         with operation: Operation) throws(SRTPError) -> Int {
        guard length >= minimumLength else { throw .packetTooShort(length: length) }
        guard buffer.count >= length + Self.maximumTrailer else {
            throw .bufferTooSmall(needed: length + Self.maximumTrailer, capacity: buffer.count)
        }
        var len = Int32(length)
        let status = operation(session, buffer.baseAddress, &len)
        guard status == srtp_err_status_ok else { throw .protectFailed(status: Int(status.rawValue)) }
        return Int(len)
    }

    @inline(__always)
    private func unprotect(_ buffer: UnsafeMutableRawBufferPointer, length: Int, minimumLength: Int,
                           with operation: Operation) throws(SRTPError) -> Int {
        guard length >= minimumLength else { throw .packetTooShort(length: length) }
        guard length <= buffer.count else { throw .bufferTooSmall(needed: length, capacity: buffer.count) }
        var len = Int32(length)
        let status = operation(session, buffer.baseAddress, &len)
        guard status == srtp_err_status_ok else { throw .unprotectFailed(status: Int(status.rawValue)) }
        return Int(len)
    }
}

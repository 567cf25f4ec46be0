/// Counters of one peer transport, updated on its worker thread (plain integers: no atomics on
/// the packet path; read them on the worker, e.g. through `MediaWorker.sync`).
public struct TransportStats: Sendable, Equatable {
    public var rtpPacketsReceived = 0
    public var rtcpPacketsReceived = 0
    public var rtpBytesReceived = 0
    public var rtpPacketsSent = 0
    public var rtcpPacketsSent = 0
    public var rtpBytesSent = 0
    /// SRTP/SRTCP packets that failed authentication, replay checks or decryption.
    public var unprotectFailures = 0
    /// SRTP arriving before DTLS produced keys (normal for a few packets after connect).
    public var droppedBeforeKeys = 0
    /// Datagrams that are none of DTLS, RTP or RTCP (RFC 7983), or too large for the buffer.
    public var unknownDatagrams = 0
    /// DTLS records received (handshake, alerts, retransmissions).
    public var dtlsDatagramsReceived = 0
    /// Sends that libnice refused (no selected pair yet, socket error).
    public var sendFailures = 0

    public init() {}
}

/// When a transport's setup steps completed (monotonic nanoseconds, `MediaWorker`'s clock).
public struct TransportTimings: Sendable, Equatable {
    /// The peer's parameters applied: ICE checks may begin.
    public var startedNanoseconds: Int64?
    /// ICE first reported a working pair.
    public var iceConnectedNanoseconds: Int64?
    /// DTLS finished and SRTP keys exist.
    public var dtlsConnectedNanoseconds: Int64?

    public init() {}

    /// Start to the first connected ICE pair (RFC 8445 checks, with the peer's pace).
    public var iceConnect: Duration? {
        guard let start = startedNanoseconds, let end = iceConnectedNanoseconds else { return nil }
        return .nanoseconds(end - start)
    }

    /// ICE connected to DTLS connected: the handshake (RFC 6347, RFC 5764).
    public var dtlsHandshake: Duration? {
        guard let start = iceConnectedNanoseconds, let end = dtlsConnectedNanoseconds else { return nil }
        return .nanoseconds(end - start)
    }
}

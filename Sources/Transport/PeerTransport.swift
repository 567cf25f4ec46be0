import SDP
import Foundation
import RTP

/// ICE, DTLS and SRTP composed into one secure media transport for one peer (mediasoup's
/// WebRtcTransport, Pion's DTLSTransport over ICETransport).
///
/// Every datagram libnice delivers is demultiplexed by its first byte (RFC 7983 7, drawn in
/// RTP's `PacketDemultiplexer`): STUN is answered inside libnice, DTLS goes to the DTLSSession,
/// SRTP and SRTCP are unprotected and handed to `onRTP` / `onRTCP`; the rest is counted and dropped.
///
/// The received bytes are copied once into the worker's packet buffer and unprotected in place;
/// the handler may rewrite them there and send them with `sendRTP`, which protects in place and
/// hands them to libnice, all on the worker thread with no allocation.
public final class PeerTransport {
    public struct RemoteParameters: Sendable {
        public var iceUfrag: String
        public var icePassword: String
        public var fingerprint: Fingerprint
        /// Our DTLS role, derived from the peer's a=setup (RFC 8842 5).
        public var dtlsRole: DTLSSession.Role
        public var candidates: [String]
        public var candidatesComplete: Bool

        public init(iceUfrag: String, icePassword: String, fingerprint: Fingerprint, dtlsRole: DTLSSession.Role,
                    candidates: [String] = [], candidatesComplete: Bool = false) {
            self.iceUfrag = iceUfrag
            self.icePassword = icePassword
            self.fingerprint = fingerprint
            self.dtlsRole = dtlsRole
            self.candidates = candidates
            self.candidatesComplete = candidatesComplete
        }
    }

    public struct Timeouts: Sendable {
        /// Peer silence after which the session is closed (RFC 7675 5.1 suggests 30 s).
        public var consentMilliseconds: Int
        /// From start until DTLS must be connected.
        public var handshakeMilliseconds: Int

        public init(consentMilliseconds: Int = 30_000, handshakeMilliseconds: Int = 30_000) {
            self.consentMilliseconds = consentMilliseconds
            self.handshakeMilliseconds = handshakeMilliseconds
        }
    }

    public enum CloseReason: Sendable, Equatable, CustomStringConvertible {
        case local
        case iceFailed
        case consentLost
        case dtlsFailed(DTLSError)
        case dtlsClosedByPeer
        case handshakeTimedOut
        case srtpFailed(SRTPError)

        public var description: String {
            switch self {
            case .local: "closed locally"
            case .iceFailed: "ICE failed"
            case .consentLost: "consent lost: the peer stopped sending (RFC 7675)"
            case .dtlsFailed(let e): e.description
            case .dtlsClosedByPeer: "the peer closed DTLS (close_notify)"
            case .handshakeTimedOut: "DTLS was not connected in time"
            case .srtpFailed(let e): e.description
            }
        }
    }

    /// Why `start` could not begin.
    public enum TransportSetupError: Error, Equatable, Sendable, CustomStringConvertible {
        case ice(ICEError)
        case dtls(DTLSError)
        public var description: String {
            switch self {
            case .ice(let e): e.description
            case .dtls(let e): e.description
            }
        }
    }

    public enum Event: Sendable, Equatable {
        case localCandidate(String)
        case gatheringDone
        case iceState(ICEState)
        case dtlsConnected(profile: SRTPProfile, version: String, cipher: String)
        case closed(CloseReason)
    }

    public let worker: MediaWorker
    public let ice: ICEAgent
    @exclusivity(unchecked) public private(set) var stats = TransportStats()
    public private(set) var timings = TransportTimings()
    public private(set) var srtpProfile: SRTPProfile?
    @exclusivity(unchecked) public private(set) var isClosed = false
    private var gatheringStarted = false
    /// Local candidates gathered since the last (re)start, for an offer that carries them: an
    /// offerer's candidates gathered before its events are wired would otherwise be lost.
    public private(set) var localCandidates: [String] = []
    public private(set) var localGatheringComplete = false

    /// Control events (candidates, states, connection, close).
    public var onEvent: (Event) -> Void = { _ in }
    /// A decrypted RTP packet: `length` bytes at the start of `buffer` (the worker's packet
    /// buffer, which has room for in-place rewriting and re-protection). Valid during the call.
    public var onRTP: (_ buffer: UnsafeMutableRawBufferPointer, _ length: Int) -> Void = { _, _ in }
    /// A decrypted RTCP compound packet, same contract as `onRTP`.
    public var onRTCP: (_ buffer: UnsafeMutableRawBufferPointer, _ length: Int) -> Void = { _, _ in }

    private let dtlsContext: DTLSContext
    private let timeouts: Timeouts
    private var dtls: DTLSSession?
    @exclusivity(unchecked) private var inbound: SRTPSession?
    @exclusivity(unchecked) private var outbound: SRTPSession?
    private let dtlsTimer: WorkerTimer
    private let handshakeTimer: WorkerTimer
    private let consentTimer: WorkerTimer
    private var packetsAtLastConsentCheck = 0
    private var silentSince: ContinuousClock.Instant?

    /// `iceControlling` is false when answering browsers (the offerer controls, RFC 8445 6.1.1);
    /// a client of ours (the load tool) that offers is controlling.
    public init(worker: MediaWorker, dtlsContext: DTLSContext, ice configuration: ICEConfiguration,
                timeouts: Timeouts = Timeouts(), iceControlling: Bool = false) throws(ICEError) {
        precondition(worker.isCurrent, "a transport lives on its worker thread")
        self.worker = worker
        self.dtlsContext = dtlsContext
        self.timeouts = timeouts
        ice = try ICEAgent(worker: worker, configuration: configuration, controlling: iceControlling)
        dtlsTimer = WorkerTimer(worker: worker)
        handshakeTimer = WorkerTimer(worker: worker)
        consentTimer = WorkerTimer(worker: worker)
        ice.onLocalCandidate = { [unowned self] in
            localCandidates.append($0)
            onEvent(.localCandidate($0))
        }
        ice.onGatheringDone = { [unowned self] in
            localGatheringComplete = true
            onEvent(.gatheringDone)
        }
        ice.onStateChange = { [unowned self] in iceStateChanged($0) }
        ice.onReceive = { [unowned self] in receive($0) }
    }

    /// Owners close on the worker before letting go; a transport dropped open is torn down
    /// without a close_notify (sending from a deinitialising object is not possible).
    deinit { close(reason: .local, notifyPeer: false) }

    public var localICECredentials: (ufrag: String, password: String) { (ice.localUfrag, ice.localPassword) }
    public var localFingerprint: Fingerprint { dtlsContext.certificate.fingerprint }

    /// Starts gathering local candidates (reported through `onEvent`) before the peer's
    /// parameters are known, as an offerer does. `start` does it if nobody did.
    public func startGathering() throws(ICEError) {
        guard !gatheringStarted else { return }
        guard !isClosed else { throw .closed }
        gatheringStarted = true
        try ice.gather()
    }

    /// Applies the peer's parameters and starts checks and (when ICE connects) DTLS.
    public func start(remote: RemoteParameters) throws(TransportSetupError) {
        guard !isClosed, dtls == nil else { throw .ice(.closed) }
        let session: DTLSSession
        do {
            session = try DTLSSession(context: dtlsContext, role: remote.dtlsRole, remoteFingerprint: remote.fingerprint)
        } catch {
            throw .dtls(error)
        }
        session.onSend = { [unowned self] datagram in
            if !ice.send(datagram) { stats.sendFailures += 1 }
        }
        dtls = session
        do {
            try ice.setRemoteCredentials(ufrag: remote.iceUfrag, password: remote.icePassword)
            try startGathering()
            for candidate in remote.candidates { try addRemoteCandidate(candidate) }
        } catch {
            throw .ice(error)
        }
        if remote.candidatesComplete { ice.remoteGatheringDone() }
        timings.startedNanoseconds = MediaWorker.monotonicNanoseconds()
        handshakeTimer.schedule(after: timeouts.handshakeMilliseconds) { [unowned self] in
            if srtpProfile == nil { close(reason: .handshakeTimedOut) }
        }
    }

    /// A trickled remote candidate (RFC 8838). Returns false for candidates we cannot use (TCP).
    @discardableResult
    public func addRemoteCandidate(_ candidate: String) throws(ICEError) -> Bool {
        try ice.addRemoteCandidate(candidate)
    }

    public func remoteCandidatesComplete() { ice.remoteGatheringDone() }

    /// ICE restart on a new remote ufrag/pwd (RFC 8839 4.4.1.1.1): new local credentials, same
    /// DTLS association and SRTP keys (RFC 8445 9: a restart does not renegotiate DTLS).
    public func restartICE(remoteUfrag: String, remotePassword: String) throws(ICEError) {
        try restartLocalICE()
        try ice.setRemoteCredentials(ufrag: remoteUfrag, password: remotePassword)
    }

    /// New local ICE credentials (RFC 8445 9), before the peer's are known: an offerer's
    /// restart, or an answerer's before it answers a restart. libnice keeps the local candidates
    /// (it does not gather again), so `localCandidates` stays as it is: the next description
    /// must carry them, since the peer discards the previous generation's.
    public func restartLocalICE() throws(ICEError) {
        try ice.restart()
    }

    // MARK: - Packet path

    @inline(__always)
    private func receive(_ datagram: UnsafeRawBufferPointer) {
        guard !isClosed else { return }
        worker.arrivalNanoseconds = MediaWorker.monotonicNanoseconds()
        switch PacketDemultiplexer.classify(datagram) {
        case .dtls:
            stats.dtlsDatagramsReceived += 1
            handleDTLS(datagram)
        case .rtp:
            // Packet in is when the kernel took it, not when libnice read it: a packet that
            // queued behind a long fan-out has waited that long (SelectedPairSocket).
            if let age = ice.receivedNanosecondsAgo() {
                worker.arrivalNanoseconds -= age
                worker.receiveWait.record(nanoseconds: age)
            }
            receiveSRTP(datagram, isRTCP: false)
        case .rtcp:
            receiveSRTP(datagram, isRTCP: true)
        case .stun, .zrtp, .turnChannel, .unknown:
            stats.unknownDatagrams += 1
        }
    }

    @inline(__always)
    private func receiveSRTP(_ datagram: UnsafeRawBufferPointer, isRTCP: Bool) {
        guard let inbound else {
            stats.droppedBeforeKeys += 1
            return
        }
        let buffer = worker.packetBuffer
        guard datagram.count >= 12, datagram.count <= buffer.count - SRTPSession.maximumTrailer else {
            stats.unknownDatagrams += 1
            return
        }
        buffer.baseAddress!.copyMemory(from: datagram.baseAddress!, byteCount: datagram.count)
        if isRTCP {
            do {
                let length = try inbound.unprotectRTCP(buffer, length: datagram.count)
                stats.rtcpPacketsReceived += 1
                onRTCP(buffer, length)
            } catch {
                stats.unprotectFailures += 1
            }
        } else {
            do {
                let length = try inbound.unprotectRTP(buffer, length: datagram.count)
                stats.rtpPacketsReceived += 1
                stats.rtpBytesReceived += length
                onRTP(buffer, length)
            } catch {
                stats.unprotectFailures += 1
            }
        }
    }

    /// Protects the RTP packet of `length` bytes at the start of `buffer` in place and sends it.
    /// `buffer` needs `SRTPSession.maximumTrailer` bytes of room after the packet (the worker's
    /// packet buffer has). Returns false if not connected or the send failed. `forwarded`: a copy
    /// of the packet that arrived last (`MediaWorker.arrivalNanoseconds`), whose forwarding
    /// latency is recorded when it leaves (at once, or when held sends go out: HeldSends).
    @inline(__always)
    @discardableResult
    public func sendRTP(_ buffer: UnsafeMutableRawBufferPointer, length: Int, forwarded: Bool = false) -> Bool {
        guard let outbound, !isClosed else { return false }
        do {
            let protectedLength = try outbound.protectRTP(buffer, length: length)
            let arrival = forwarded ? worker.arrivalNanoseconds : -1
            guard ice.send(UnsafeRawBufferPointer(rebasing: buffer[0..<protectedLength]), arrivalNanoseconds: arrival) else {
                stats.sendFailures += 1
                return false
            }
            stats.rtpPacketsSent += 1
            stats.rtpBytesSent += length
            return true
        } catch {
            stats.sendFailures += 1
            return false
        }
    }

    /// Protects and sends an RTCP compound packet, as `sendRTP`.
    @discardableResult
    public func sendRTCP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) -> Bool {
        guard let outbound, !isClosed else { return false }
        do {
            let protectedLength = try outbound.protectRTCP(buffer, length: length)
            guard ice.send(UnsafeRawBufferPointer(rebasing: buffer[0..<protectedLength])) else {
                stats.sendFailures += 1
                return false
            }
            stats.rtcpPacketsSent += 1
            return true
        } catch {
            stats.sendFailures += 1
            return false
        }
    }

    // MARK: - DTLS and state

    private func iceStateChanged(_ state: ICEState) {
        onEvent(.iceState(state))
        switch state {
        case .connected, .ready:
            if timings.iceConnectedNanoseconds == nil { timings.iceConnectedNanoseconds = MediaWorker.monotonicNanoseconds() }
            if let dtls, dtls.state == .new { handle(dtls.start()) }
        case .failed where srtpProfile == nil:
            // Never connected: the checks themselves failed (wrong credentials, no route).
            close(reason: .iceFailed)
        case .failed:
            // Connected before: libnice saw no answer to its checks for 50 s (or the peer
            // revoked consent). The peer may still come back through an ICE restart; the
            // session ends at the consent window of silence (RFC 7675 5.1's 30 s; the consent
            // watch), as a browser's own peer connection would.
            break
        default:
            break
        }
    }

    private func handleDTLS(_ datagram: UnsafeRawBufferPointer) {
        guard let dtls else { return }
        handle(dtls.receive(datagram))
    }

    private func handle(_ event: DTLSSession.Event) {
        switch event {
        case .none:
            break
        case .connected(let keys):
            do {
                inbound = try SRTPSession(profile: keys.profile, keyAndSalt: keys.remoteKeyAndSalt, direction: .inbound)
                outbound = try SRTPSession(profile: keys.profile, keyAndSalt: keys.localKeyAndSalt, direction: .outbound)
            } catch {
                close(reason: .srtpFailed(error))
                return
            }
            srtpProfile = keys.profile
            timings.dtlsConnectedNanoseconds = MediaWorker.monotonicNanoseconds()
            handshakeTimer.cancel()
            startConsentWatch()
            let cipher = dtls?.negotiatedCipher
            onEvent(.dtlsConnected(profile: keys.profile, version: cipher?.version ?? "", cipher: cipher?.cipher ?? ""))
        case .closedByPeer:
            close(reason: .dtlsClosedByPeer)
            return
        case .failed(let error):
            close(reason: .dtlsFailed(error))
            return
        }
        scheduleDTLSTimer()
    }

    private func scheduleDTLSTimer() {
        guard let dtls, let milliseconds = dtls.nextTimeoutMilliseconds else {
            dtlsTimer.cancel()
            return
        }
        dtlsTimer.schedule(after: milliseconds) { [unowned self] in
            guard let dtls = self.dtls else { return }
            handle(dtls.handleTimeout())
        }
    }

    /// Media silence watch once connected: libnice's consent checks (RFC 7675) catch a peer that
    /// stops answering STUN; this catches one whose media and RTCP stop (a killed tab's socket may
    /// linger). Browsers send RTCP at least every few seconds on a live session.
    private func startConsentWatch() {
        let tick = min(1000, max(50, timeouts.consentMilliseconds / 4))
        packetsAtLastConsentCheck = receivedCount
        consentTimer.schedule(after: tick, repeats: true) { [unowned self] in
            let now = ContinuousClock.now
            if receivedCount != packetsAtLastConsentCheck {
                packetsAtLastConsentCheck = receivedCount
                silentSince = nil
            } else if let since = silentSince {
                if since.duration(to: now) >= .milliseconds(timeouts.consentMilliseconds) { close(reason: .consentLost) }
            } else {
                silentSince = now
            }
        }
    }

    private var receivedCount: Int {
        stats.rtpPacketsReceived + stats.rtcpPacketsReceived + stats.dtlsDatagramsReceived + stats.unprotectFailures
    }

    // MARK: - Close

    /// Sends close_notify, stops timers, frees SRTP contexts and the ICE agent. Idempotent.
    public func close() { close(reason: .local) }

    private func close(reason: CloseReason, notifyPeer: Bool = true) {
        guard !isClosed else { return }
        isClosed = true
        if reason == .local && notifyPeer { dtls?.close() }
        dtlsTimer.cancel()
        handshakeTimer.cancel()
        consentTimer.cancel()
        inbound = nil
        outbound = nil
        // Nothing from the agent may reach this object once closed: it may be gone by then.
        ice.onReceive = { _ in }
        ice.onStateChange = { _ in }
        ice.onLocalCandidate = { _ in }
        ice.onGatheringDone = {}
        dtls?.onSend = { _ in }
        let agent = ice
        // The agent may be inside one of its own callbacks: release it on a later turn.
        let deferred = UncheckedSendable(agent)
        worker.post { deferred.value.close() }
        if notifyPeer { onEvent(.closed(reason)) }
    }
}

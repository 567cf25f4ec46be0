import CNice
import Foundation

/// Full ICE (RFC 8445) for one peer, through one libnice agent on a media worker's context.
///
/// One stream with one component: WebRTC peers bundle every m-line (RFC 8843) and multiplex RTCP
/// (RFC 5761), so a peer is one 5-tuple. The agent answers browser offers, so it is controlled;
/// trickle ICE (RFC 8838) is on, and RFC 7675 consent freshness when configured. Owns the
/// `NiceAgent` (one GObject reference); every call happens on the worker thread.
public final class ICEAgent {
    public let worker: MediaWorker
    public private(set) var state: ICEState = .new
    public private(set) var localUfrag = ""
    public private(set) var localPassword = ""

    /// A local candidate in SDP form without "a=" ("candidate:1 1 UDP 2015363327 10.0.0.1 50000 typ host").
    public var onLocalCandidate: (String) -> Void = { _ in }
    public var onGatheringDone: () -> Void = {}
    public var onStateChange: (ICEState) -> Void = { _ in }
    /// Every datagram that is not STUN (libnice answers those itself). The buffer is libnice's,
    /// valid only during the call.
    public var onReceive: (UnsafeRawBufferPointer) -> Void = { _ in }

    private var agent: OpaquePointer?
    private let streamID: guint
    private let configuration: ICEConfiguration
    private var signalHandlers: [gulong] = []
    private var gatheringDone = false
    /// The selected pair's socket while that pair is direct (not relayed): media goes out on it
    /// without the agent (SelectedPairSocket says why). Nil before selection, after a restart
    /// or failure, and for relayed pairs, which send through `nice_agent_send`.
    /// The direct selected pair (SelectedPairSocket): media is sent on it, and the worker's loop
    /// reads it (WorkerLoop) while it is set.
    private var selectedSocket: SelectedPairSocket? {
        didSet {
            if let oldValue { worker.loop.removeDirect(descriptor: oldValue.descriptor, agent: self) }
            if let selectedSocket { worker.loop.addDirect(descriptor: selectedSocket.descriptor, agent: self) }
        }
    }

    public init(worker: MediaWorker, configuration: ICEConfiguration, controlling: Bool = false) throws(ICEError) {
        precondition(worker.isCurrent, "ICE agents live on their worker thread")
        self.worker = worker
        self.configuration = configuration
        // Consent freshness through keepalive checks, not NICE_AGENT_OPTION_CONSENT_FRESHNESS
        // (ICEConfiguration.consentFreshness says why).
        guard let agent = nice_agent_new_full(worker.context, NICE_COMPATIBILITY_RFC5245, NICE_AGENT_OPTION_ICE_TRICKLE) else {
            throw .agentCreationFailed
        }
        self.agent = agent
        // upnp=FALSE on every agent: Debian's libnice would otherwise send SSDP multicast off the
        // machine. ICE-TCP off: browsers reach us over UDP or through TURN.
        sfu_nice_agent_configure(agent, controlling ? sfu_g_true() : sfu_g_false(), 100, 20)
        sfu_nice_agent_set_keepalive_conncheck(agent, configuration.consentFreshness ? sfu_g_true() : sfu_g_false())

        for address in configuration.bindAddresses {
            guard let niceAddress = nice_address_new() else { throw .agentCreationFailed }
            defer { nice_address_free(niceAddress) }
            guard nice_address_set_from_string(niceAddress, address) != 0 else {
                g_object_unref(UnsafeMutableRawPointer(agent))
                self.agent = nil
                throw .invalidAddress(address)
            }
            _ = nice_agent_add_local_address(agent, niceAddress)
        }
        streamID = nice_agent_add_stream(agent, 1)
        guard streamID != 0 else {
            g_object_unref(UnsafeMutableRawPointer(agent))
            self.agent = nil
            throw .streamCreationFailed
        }
        if let range = configuration.portRange {
            nice_agent_set_port_range(agent, streamID, 1, guint(range.lowerBound), guint(range.upperBound))
        }
        let me = Unmanaged.passUnretained(self).toOpaque()
        signalHandlers = [
            sfu_nice_on_new_candidate(agent, onNewCandidateThunk, me),
            sfu_nice_on_gathering_done(agent, onGatheringDoneThunk, me),
            sfu_nice_on_state_changed(agent, onStateChangedThunk, me),
            sfu_nice_on_selected_pair(agent, onSelectedPairThunk, me),
        ]
        nice_agent_attach_recv(agent, streamID, 1, worker.context, onReceiveThunk, me)
        refreshLocalCredentials()
    }

    deinit { close() }

    /// Starts gathering host candidates; they arrive through `onLocalCandidate`.
    public func gather() throws(ICEError) {
        guard let agent else { throw .closed }
        state = .gathering
        let gathered = nice_agent_gather_candidates(agent, streamID) != 0
        // New sockets, perhaps under a closed one's descriptor number: the worker's epoll set
        // re-checks its descriptors (WorkerLoop, CDatagram.h).
        worker.loop.descriptorsOpened()
        guard gathered else { throw .gatheringFailed }
    }

    public func setRemoteCredentials(ufrag: String, password: String) throws(ICEError) {
        guard let agent else { throw .closed }
        guard nice_agent_set_remote_credentials(agent, streamID, ufrag, password) != 0 else { throw .credentialsRejected }
    }

    /// Adds one remote candidate ("candidate:…", with or without "a="). Non-UDP candidates are
    /// ignored (we gather UDP only); an unparseable one throws.
    @discardableResult
    public func addRemoteCandidate(_ text: String) throws(ICEError) -> Bool {
        guard let agent else { throw .closed }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.count <= 1024 else { throw .invalidRemoteCandidate(String(trimmed.prefix(64)) + "…") }
        let line = trimmed.hasPrefix("a=") ? trimmed : "a=" + trimmed
        // libnice only knows UDP and RFC 6544 TCP; a TCP candidate is useless to a UDP-only agent.
        let fields = line.split(separator: " ")
        if fields.count > 2, fields[2].lowercased() != "udp" { return false }
        guard let candidate = nice_agent_parse_remote_candidate_sdp(agent, streamID, line) else {
            throw .invalidRemoteCandidate(trimmed)
        }
        defer { nice_candidate_free(candidate) }
        var list = GSList(data: UnsafeMutableRawPointer(candidate), next: nil)
        return nice_agent_set_remote_candidates(agent, streamID, 1, &list) > 0
    }

    /// The peer sent end-of-candidates (RFC 8838 8.2): checks may now conclude with failure.
    public func remoteGatheringDone() {
        guard let agent else { return }
        _ = nice_agent_peer_candidate_gathering_done(agent, streamID)
    }

    /// ICE restart (RFC 8445 9): new local credentials, same agent and sockets.
    public func restart() throws(ICEError) {
        guard let agent else { throw .closed }
        _ = nice_agent_restart_stream(agent, streamID)
        worker.loop.needsIteration = true
        selectedSocket = nil
        refreshLocalCredentials()
        state = .checking
        onStateChange(state)
    }

    /// Sends one datagram on the selected pair: straight on its socket when the pair is direct,
    /// else through the agent. Returns false when there is no pair yet or the send failed.
    /// While the worker handles a read of a direct socket (`readSelectedSocket`), a datagram for
    /// a direct pair is held and leaves with the others at its end (HeldSends); true then means
    /// held. `arrivalNanoseconds` >= 0 marks a forwarded copy: its forwarding latency (from that
    /// arrival to when it left) goes into the worker's histogram.
    @inline(__always)
    public func send(_ datagram: UnsafeRawBufferPointer, arrivalNanoseconds: Int64 = -1) -> Bool {
        guard let agent, let base = datagram.baseAddress else { return false }
        if let selectedSocket {
            let held = worker.heldSends
            if held.isHolding, selectedSocket.isOpen {
                if held.hold(datagram, on: selectedSocket, arrivalNanoseconds: arrivalNanoseconds) { return true }
                // Too large to hold: what is held for this socket leaves first, in order.
                held.send()
            }
            if let sent = selectedSocket.send(datagram) {
                if sent, arrivalNanoseconds >= 0 { recordForwarded(from: arrivalNanoseconds) }
                return sent
            }
            self.selectedSocket = nil
        }
        let sent = nice_agent_send(agent, streamID, 1, guint(datagram.count), base.assumingMemoryBound(to: gchar.self)) >= 0
        if sent, arrivalNanoseconds >= 0 { recordForwarded(from: arrivalNanoseconds) }
        return sent
    }

    @inline(__always)
    private func recordForwarded(from arrivalNanoseconds: Int64) {
        worker.directForwardingLatency.record(nanoseconds: MediaWorker.monotonicNanoseconds() - arrivalNanoseconds)
    }

    /// Reads the datagrams queued on the direct selected pair's socket and hands them to
    /// `onReceive`, as libnice would have (WorkerLoop calls this when the socket is readable).
    /// False when one must go through libnice instead (STUN, another source address, a socket
    /// libnice closed), which then reads it and what follows. What the handling sends on direct
    /// pairs is held until the read is done (or `HeldSends.maximumDatagramsHeld` datagrams were
    /// handled), and then leaves grouped by socket (HeldSends).
    func readSelectedSocket(counting count: inout Int) -> Bool {
        guard let socket = selectedSocket else { return false }
        let held = worker.heldSends
        held.begin()
        defer { held.flush() }
        return socket.receive(into: worker.receiveBuffer) { datagram in
            count &+= 1
            onReceive(datagram)
            held.handledOne()
        }
    }

    /// How long ago the kernel received the datagram just delivered, when it came on a direct
    /// selected pair (SelectedPairSocket.lastReceiveAgeNanoseconds); nil otherwise.
    @inline(__always)
    public func receivedNanosecondsAgo() -> Int64? { selectedSocket?.lastReceiveAgeNanoseconds() }

    /// Whether media currently leaves on the selected pair's own socket, bypassing the agent.
    public var sendsDirectly: Bool { selectedSocket?.isOpen ?? false }

    /// Releases the agent: signals disconnected, receive detached, sockets closed. Idempotent.
    public func close() {
        guard let agent else { return }
        self.agent = nil
        worker.loop.needsIteration = true
        selectedSocket = nil
        nice_agent_attach_recv(agent, streamID, 1, worker.context, nil, nil)
        for handler in signalHandlers { sfu_signal_disconnect(UnsafeMutableRawPointer(agent), handler) }
        signalHandlers = []
        nice_agent_remove_stream(agent, streamID)
        g_object_unref(UnsafeMutableRawPointer(agent))
        if state != .closed {
            state = .closed
            onStateChange(.closed)
        }
    }

    /// The local and remote candidate of the selected pair ("host 10.0.0.1:50000"), for stats.
    public var selectedPair: (local: String, remote: String)? {
        guard let agent else { return nil }
        var local: UnsafeMutablePointer<NiceCandidate>?
        var remote: UnsafeMutablePointer<NiceCandidate>?
        guard nice_agent_get_selected_pair(agent, streamID, 1, &local, &remote) != 0, let local, let remote else { return nil }
        return (Self.describe(local), Self.describe(remote))
    }

    // MARK: - libnice callbacks (worker thread)

    private func refreshLocalCredentials() {
        guard let agent else { return }
        var ufrag: UnsafeMutablePointer<gchar>?
        var password: UnsafeMutablePointer<gchar>?
        guard nice_agent_get_local_credentials(agent, streamID, &ufrag, &password) != 0 else { return }
        if let ufrag { localUfrag = String(cString: ufrag); g_free(ufrag) }
        if let password { localPassword = String(cString: password); g_free(password) }
    }

    fileprivate func handleNewCandidate(_ candidate: UnsafeMutablePointer<NiceCandidate>) {
        guard let agent, candidate.pointee.stream_id == streamID,
            let sdp = nice_agent_generate_local_candidate_sdp(agent, candidate)
        else { return }
        defer { g_free(sdp) }
        var line = String(cString: sdp)
        if line.hasPrefix("a=") { line.removeFirst(2) }
        for announced in CandidateAddressMapping.announce(line, configuration: configuration) {
            onLocalCandidate(announced)
        }
    }

    /// A new pair was selected (nominated, or changed after a restart): send on its socket from
    /// now on when it is direct.
    fileprivate func handleSelectedPair(stream: guint) {
        guard let agent, stream == streamID else { return }
        selectedSocket = SelectedPairSocket(agent: agent, streamID: streamID)
    }

    fileprivate func handleGatheringDone(stream: guint) {
        guard stream == streamID, !gatheringDone else { return }
        gatheringDone = true
        onGatheringDone()
    }

    fileprivate func handleStateChange(stream: guint, state raw: guint) {
        guard stream == streamID else { return }
        let newState: ICEState
        switch NiceComponentState(raw) {
        case NICE_COMPONENT_STATE_GATHERING: newState = .gathering
        case NICE_COMPONENT_STATE_CONNECTING: newState = .checking
        case NICE_COMPONENT_STATE_CONNECTED: newState = .connected
        case NICE_COMPONENT_STATE_READY: newState = .ready
        case NICE_COMPONENT_STATE_FAILED: newState = .failed
        default: return
        }
        guard newState != state else { return }
        state = newState
        // Consent lost or checks failed (RFC 7675 5.1): stop sending on the pair at once, as
        // nice_agent_send would.
        if newState == .failed { selectedSocket = nil }
        // Back from a failure (the peer's checks got through again): libnice may keep the pair
        // it had selected without signalling a new selection, so take it up again here.
        if newState == .connected || newState == .ready, selectedSocket == nil, let agent {
            selectedSocket = SelectedPairSocket(agent: agent, streamID: streamID)
        }
        onStateChange(newState)
    }

    private static func describe(_ candidate: UnsafeMutablePointer<NiceCandidate>) -> String {
        var text = [CChar](repeating: 0, count: Int(NICE_ADDRESS_STRING_LEN))
        withUnsafePointer(to: &candidate.pointee.addr) { nice_address_to_string($0, &text) }
        let address = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let port = withUnsafePointer(to: &candidate.pointee.addr) { nice_address_get_port($0) }
        let type: String
        switch candidate.pointee.type {
        case NICE_CANDIDATE_TYPE_HOST: type = "host"
        case NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE: type = "srflx"
        case NICE_CANDIDATE_TYPE_PEER_REFLEXIVE: type = "prflx"
        case NICE_CANDIDATE_TYPE_RELAYED: type = "relay"
        default: type = "unknown"
        }
        return "\(type) \(address):\(port)"
    }
}

private let onNewCandidateThunk: sfu_candidate_cb = { _, candidate, data in
    guard let candidate, let data else { return }
    Unmanaged<ICEAgent>.fromOpaque(data).takeUnretainedValue().handleNewCandidate(candidate)
}

private let onGatheringDoneThunk: sfu_gathering_done_cb = { _, stream, data in
    guard let data else { return }
    Unmanaged<ICEAgent>.fromOpaque(data).takeUnretainedValue().handleGatheringDone(stream: stream)
}

private let onStateChangedThunk: sfu_state_cb = { _, stream, _, state, data in
    guard let data else { return }
    Unmanaged<ICEAgent>.fromOpaque(data).takeUnretainedValue().handleStateChange(stream: stream, state: state)
}

private let onSelectedPairThunk: sfu_pair_cb = { _, stream, _, _, _, data in
    guard let data else { return }
    Unmanaged<ICEAgent>.fromOpaque(data).takeUnretainedValue().handleSelectedPair(stream: stream)
}

/// The hot path's entry: libnice calls this on the worker thread for each datagram.
private let onReceiveThunk: NiceAgentRecvFunc = { _, _, _, length, buffer, data in
    guard let data, let buffer else { return }
    let agent = Unmanaged<ICEAgent>.fromOpaque(data).takeUnretainedValue()
    agent.onReceive(UnsafeRawBufferPointer(start: buffer, count: Int(length)))
}

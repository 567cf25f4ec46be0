import Foundation
import Logging
import OpusCodec
import RTP
import SDP
import Transport

/// The probe's one session, owned by its media worker: negotiation, the transport, echo.
///
/// Echo is the SFU's per-packet path in miniature: a received packet is unprotected in the
/// worker's buffer, parsed, its SSRC rewritten to the one our answer declared for that m-line,
/// and protected and sent from the same buffer, on the same thread.
final class ProbeSession {
    static let maximumLineBytes = 1 << 20

    private let worker: MediaWorker
    private let context: DTLSContext
    private let settings: ProbeSettings
    private let logger = Logger(label: "sfu.probe")
    private let statsTimer: WorkerTimer
    private let sessionID = UInt64.random(in: 1...(1 << 62))

    private var transport: PeerTransport?
    private var offer: SessionDescription?
    private var localMedia: [String: LocalMediaOptions] = [:]
    private var sessionVersion: UInt64 = 1
    private var remoteUfrag: String?
    private var answered = false
    private var localCandidates: [String] = []
    private var gatheringComplete = false
    private var finished = false

    // Packet-path tables, indexed by payload type (7 bits): no dictionary lookups per packet.
    private var echoSSRC = [UInt32](repeating: 0, count: 128)
    private var isVideoPayloadType = [Bool](repeating: false, count: 128)
    private var payloadTypeCounts = [Int](repeating: 0, count: 128)
    private var parseFailures = 0
    private var remoteVideoSSRC: UInt32 = 0
    private var localVideoSSRC: UInt32 = 0
    private var lastPictureLossRelay = ContinuousClock.now - .seconds(10)
    private var toneSender: ToneSender?
    private var dumpedPackets = 0

    init(worker: MediaWorker, context: DTLSContext, settings: ProbeSettings) {
        self.worker = worker
        self.context = context
        self.settings = settings
        statsTimer = WorkerTimer(worker: worker)
    }

    func startStatsTimer() {
        guard settings.statsIntervalMilliseconds > 0 else { return }
        statsTimer.schedule(after: settings.statsIntervalMilliseconds, repeats: true) { [unowned self] in
            if transport != nil { emitStats() }
        }
    }

    // MARK: - Driver messages

    func handle(line: String) {
        guard !finished else { return }
        guard let data = line.data(using: .utf8),
            let message = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
            let type = message["type"] as? String
        else {
            reportBadMessage("not a JSON object with a string \"type\"")
            return
        }
        switch type {
        case "offer":
            guard let sdp = message["sdp"] as? String else { return reportBadMessage("offer without \"sdp\"") }
            handleOffer(sdp)
        case "candidate":
            guard let candidate = message["candidate"] as? String else { return reportBadMessage("candidate without \"candidate\"") }
            if candidate.isEmpty {
                transport?.remoteCandidatesComplete()  // browsers signal the end with an empty candidate
                return
            }
            do {
                try transport?.addRemoteCandidate(candidate)
            } catch {
                emitError("bad-candidate", error.description)
            }
        case "end-of-candidates":
            transport?.remoteCandidatesComplete()
        case "stats":
            emitStats()
        case "close":
            finish(reason: "closed by driver")
        default:
            reportBadMessage("unknown message type \"\(type)\"")
        }
    }

    func reportBadMessage(_ why: String) { emitError("bad-message", why) }

    private func handleOffer(_ text: String) {
        let offer: SessionDescription
        do {
            offer = try SessionDescription(parsing: text)
        } catch {
            emitError("bad-sdp", "\(error)")
            return finish(reason: "bad offer")
        }
        if transport != nil {
            renegotiate(offer)
            return
        }
        self.offer = offer
        localMedia = Self.echoTracks(for: offer)
        let negotiated: NegotiatedAnswer
        do {
            negotiated = try makeAnswer(to: offer, options: answerOptions(candidates: [], complete: false))
        } catch {
            emitError("negotiation-failed", "\(error)")
            return finish(reason: "negotiation failed")
        }
        let session = negotiated.session
        guard let remote = PeerTransport.RemoteParameters(session) else {
            emitError("negotiation-failed", "no fingerprint")
            return finish(reason: "negotiation failed")
        }
        configureEcho(session)
        remoteUfrag = session.remoteICE.ufrag
        do {
            let transport = try PeerTransport(worker: worker, dtlsContext: context, ice: settings.ice, timeouts: settings.timeouts)
            self.transport = transport
            transport.onEvent = { [unowned self] in handle($0) }
            transport.onRTP = { [unowned self] in echoRTP($0, length: $1) }
            transport.onRTCP = { [unowned self] in receiveRTCP($0, length: $1) }
            try transport.start(remote: remote)
        } catch {
            emitError("transport-failed", "\(error)")
            return finish(reason: "transport set-up failed")
        }
        if settings.trickle { emitAnswer() }
    }

    /// A new offer on a live session: an ICE restart when the ufrag changed (RFC 8839 4.4.1.1.1).
    private func renegotiate(_ offer: SessionDescription) {
        guard let transport else { return }
        self.offer = offer
        sessionVersion += 1
        do {
            let negotiated = try makeAnswer(to: offer, options: answerOptions(candidates: [], complete: false))
            let remote = negotiated.session.remoteICE
            if remote.ufrag != remoteUfrag {
                remoteUfrag = remote.ufrag
                try transport.restartICE(remoteUfrag: remote.ufrag, remotePassword: remote.pwd)
                for candidate in negotiated.session.remoteCandidates where candidate.component == 1 {
                    try transport.addRemoteCandidate(candidate.sdpFragment)
                }
                if negotiated.session.remoteEndOfCandidates { transport.remoteCandidatesComplete() }
            }
            answered = false
            emitAnswer()
        } catch {
            emitError("negotiation-failed", "\(error)")
        }
    }

    /// Every m-line the peer sends on gets one track back from us (its echo).
    private static func echoTracks(for offer: SessionDescription) -> [String: LocalMediaOptions] {
        var media: [String: LocalMediaOptions] = [:]
        for section in offer.media {
            guard let mid = section.mid, section.kind == .audio || section.kind == .video else { continue }
            let sends = (section.direction ?? .sendrecv).sends
            let track = sends
                ? LocalTrack(ssrc: UInt32.random(in: 1...UInt32.max),
                             rtxSSRC: section.kind == .video ? UInt32.random(in: 1...UInt32.max) : nil,
                             cname: "sfu-probe", streamID: "sfu-probe", trackID: "echo-\(mid)")
                : nil
            media[mid] = LocalMediaOptions(send: track, receive: true)
        }
        return media
    }

    private func answerOptions(candidates: [String], complete: Bool) -> AnswerOptions {
        let credentials = transport?.localICECredentials
        // No redundant audio: the probe checks the transport with plain Opus (its echo and its
        // tone); an answer with RED first would have Chromium send Opus in RED.
        var capabilities = CodecCapabilities.default
        capabilities.audioRED = false
        return AnswerOptions(
            iceCredentials: ICECredentials(ufrag: credentials?.ufrag ?? "pending", pwd: credentials?.password ?? "pendingpendingpendingpe"),
            fingerprint: context.certificate.fingerprint,
            capabilities: capabilities,
            media: localMedia,
            candidates: candidates.map { $0.hasPrefix("candidate:") ? String($0.dropFirst("candidate:".count)) : $0 },
            gatheringComplete: complete,
            sessionID: sessionID,
            sessionVersion: sessionVersion)
    }

    private func configureEcho(_ session: NegotiatedSession) {
        for media in session.media where !media.rejected {
            guard let track = media.localTrack else { continue }
            let toneOnThisLine = settings.toneFrequency != nil && media.kind == .audio
            for codec in media.codecs {
                let pt = Int(codec.payloadType & 0x7F)
                echoSSRC[pt] = toneOnThisLine ? 0 : track.ssrc
                isVideoPayloadType[pt] = media.kind == .video
                if let rtx = codec.rtxPayloadType {
                    echoSSRC[Int(rtx & 0x7F)] = toneOnThisLine ? 0 : (track.rtxSSRC ?? track.ssrc)
                }
            }
            if media.kind == .video, localVideoSSRC == 0 { localVideoSSRC = track.ssrc }
            if toneOnThisLine, toneSender == nil, let frequency = settings.toneFrequency,
                let opus = media.codecs.first(where: { $0.name.lowercased() == "opus" })
            {
                toneSender = try? ToneSender(frequency: frequency, payloadType: opus.payloadType, ssrc: track.ssrc, worker: worker)
            }
        }
    }

    // MARK: - Transport events

    private func handle(_ event: PeerTransport.Event) {
        switch event {
        case .localCandidate(let candidate):
            localCandidates.append(candidate)
            // libnice reports host candidates while gathering starts, before the answer is out;
            // those wait for it (a peer cannot add candidates before the remote description).
            if settings.trickle && answered { emitCandidate(candidate) }
        case .gatheringDone:
            gatheringComplete = true
            if settings.trickle {
                if answered { JSONLines.emit(["type": "end-of-candidates"]) }
            } else if !answered {
                emitAnswer()
            }
        case .iceState(let state):
            JSONLines.emit(["type": "ice-state", "state": state.rawValue])
        case .dtlsConnected(let profile, let version, let cipher):
            JSONLines.emit(["type": "dtls-state", "state": "connected", "srtpProfile": profile.rawValue,
                            "dtlsVersion": version, "cipher": cipher])
            if let transport { toneSender?.start(on: transport) }
        case .closed(let reason):
            toneSender?.stop()
            switch reason {
            case .local, .dtlsClosedByPeer:
                JSONLines.emit(["type": "dtls-state", "state": "closed"])
            case .dtlsFailed(let error):
                if case .fingerprintMismatch = error { emitError("fingerprint-mismatch", error.description) } else {
                    emitError("dtls-failed", error.description)
                }
                JSONLines.emit(["type": "dtls-state", "state": "failed", "error": error.description])
            case .iceFailed: emitError("ice-failed", reason.description)
            case .consentLost: emitError("consent-lost", reason.description)
            case .handshakeTimedOut: emitError("handshake-timeout", reason.description)
            case .srtpFailed(let error): emitError("srtp-failed", error.description)
            }
            if reason != .local { finish(reason: reason.description) }
        }
    }

    private func emitCandidate(_ candidate: String) {
        JSONLines.emit(["type": "candidate", "candidate": candidate, "sdpMid": firstMid, "sdpMLineIndex": 0])
    }

    private var firstMid: String { offer?.media.first?.mid ?? "0" }

    private func emitAnswer() {
        do {
            let negotiated = try makeAnswer(
                to: offer!, options: answerOptions(candidates: settings.trickle ? [] : localCandidates, complete: gatheringComplete && !settings.trickle))
            let firstAnswer = !answered
            answered = true
            JSONLines.emit(["type": "answer", "sdp": negotiated.answer.text])
            if settings.trickle && firstAnswer {
                localCandidates.forEach(emitCandidate)
                if gatheringComplete { JSONLines.emit(["type": "end-of-candidates"]) }
            }
        } catch {
            emitError("negotiation-failed", "\(error)")
            finish(reason: "answer failed")
        }
    }

    // MARK: - Packet path (worker thread, no allocation unless dumping)

    private func echoRTP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) {
        let packet: RTPPacket
        do {
            packet = try RTPPacket(UnsafeRawBufferPointer(rebasing: buffer[0..<length]))
        } catch {
            parseFailures += 1
            return
        }
        let payloadType = Int(packet.payloadType)
        payloadTypeCounts[payloadType] += 1
        if settings.dumpDirectory != nil { dump(buffer, length: length, kind: "rtp-pt\(payloadType)") }
        let ssrc = echoSSRC[payloadType]
        guard ssrc != 0, let transport else { return }
        if isVideoPayloadType[payloadType] { remoteVideoSSRC = packet.ssrc }
        guard let rewriter = try? RTPRewriter(UnsafeMutableRawBufferPointer(rebasing: buffer[0..<length])) else { return }
        rewriter.setSSRC(ssrc)
        transport.sendRTP(buffer, length: length)
    }

    private func receiveRTCP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) {
        if settings.dumpDirectory != nil { dump(buffer, length: length, kind: "rtcp") }
        guard let compound = try? RTCPCompound(UnsafeRawBufferPointer(rebasing: buffer[0..<length])) else {
            parseFailures += 1
            return
        }
        // A picture loss report about our echoed video is relayed to the peer as a PLI for its
        // own stream (RFC 4585 6.3.1), at most every 300 ms, so a keyframe comes round.
        var wantsKeyframe = false
        for packet in compound where packet.packetType == .payloadFeedback {
            let format = packet.count
            if format == RTCPFeedback.Format.pictureLossIndication || format == RTCPFeedback.Format.fullIntraRequest {
                wantsKeyframe = true
            }
        }
        let now = ContinuousClock.now
        guard wantsKeyframe, remoteVideoSSRC != 0, let transport, lastPictureLossRelay.duration(to: now) > .milliseconds(300)
        else { return }
        lastPictureLossRelay = now
        if let written = try? PictureLossIndication.write(senderSSRC: localVideoSSRC, mediaSSRC: remoteVideoSSRC, into: buffer) {
            transport.sendRTCP(buffer, length: written)
        }
    }

    private func dump(_ buffer: UnsafeMutableRawBufferPointer, length: Int, kind: String) {
        guard let directory = settings.dumpDirectory, dumpedPackets < 2000 else { return }
        dumpedPackets += 1
        let path = "\(directory)/\(String(format: "%05d", dumpedPackets))-\(kind).bin"
        _ = FileManager.default.createFile(atPath: path, contents: Data(UnsafeRawBufferPointer(rebasing: buffer[0..<length])))
    }

    // MARK: - Output

    private func emitStats() {
        guard let transport else { return }
        let stats = transport.stats
        var payloadTypes: [String: Int] = [:]
        for (pt, count) in payloadTypeCounts.enumerated() where count > 0 { payloadTypes[String(pt)] = count }
        var line: [String: Any] = [
            "type": "stats",
            "rtpPacketsReceived": stats.rtpPacketsReceived, "rtcpPacketsReceived": stats.rtcpPacketsReceived,
            "rtpPacketsSent": stats.rtpPacketsSent, "rtcpPacketsSent": stats.rtcpPacketsSent,
            "rtpBytesReceived": stats.rtpBytesReceived, "rtpBytesSent": stats.rtpBytesSent,
            "unprotectFailures": stats.unprotectFailures, "parseFailures": parseFailures,
            "droppedBeforeKeys": stats.droppedBeforeKeys, "unknownDatagrams": stats.unknownDatagrams,
            "dtlsDatagramsReceived": stats.dtlsDatagramsReceived, "sendFailures": stats.sendFailures,
            "payloadTypes": payloadTypes, "iceState": transport.ice.state.rawValue,
        ]
        if let profile = transport.srtpProfile { line["srtpProfile"] = profile.rawValue }
        if let pair = transport.ice.selectedPair {
            line["selectedPair"] = ["local": pair.local, "remote": pair.remote, "direct": transport.ice.sendsDirectly]
        }
        if let toneSender { line["tonePacketsSent"] = toneSender.packetsSent }
        JSONLines.emit(line)
    }

    private func emitError(_ code: String, _ message: String) {
        logger.warning("\(code): \(message)")
        JSONLines.emit(["type": "error", "code": code, "message": message])
    }

    /// Prints the final stats and exits the process.
    func finish(reason: String) {
        guard !finished else { return }
        finished = true
        statsTimer.cancel()
        toneSender?.stop()
        emitStats()
        transport?.close()
        JSONLines.emit(["type": "closed", "reason": reason])
        exit(0)
    }
}

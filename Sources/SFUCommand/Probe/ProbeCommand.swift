import ArgumentParser
import Foundation
import Logging
import OpusCodec
import SDP
import Transport

/// `sfu probe`: answers one WebRTC offer with the SFU's transport and echoes media back.
///
/// A diagnostic for deployments (can a browser on this network reach the media ports, finish
/// DTLS, and get SRTP back?) and the harness the interoperability tests drive. It speaks JSON
/// lines on stdin/stdout; the messages are listed in docs/signaling.md ("Probe protocol").
struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Answer one WebRTC offer (JSON lines on stdin/stdout) and echo its media back."
    )

    @Option(help: "SRTP profiles to offer in DTLS, in preference order (AEAD_AES_128_GCM, AES_CM_128_HMAC_SHA1_80).")
    var srtpProfiles = "AEAD_AES_128_GCM,AES_CM_128_HMAC_SHA1_80"

    @Option(help: "Send an Opus tone of this frequency (Hz) on the audio m-line instead of echoing audio.")
    var tone: Double?

    @Flag(help: "Answer at once and trickle candidates, instead of waiting for gathering.")
    var trickle = false

    @Option(help: "UDP port range for host candidates, LOW-HIGH.")
    var portRange = "50000-50999"

    @Option(name: .customLong("bind"), help: "Local address to gather on (repeatable); default: all.")
    var bindAddresses: [String] = []

    @Option(name: .customLong("public-address"), help: "Address announced instead of the host address (1:1 NAT; repeatable).")
    var publicAddresses: [String] = []

    @Option(help: "Close when the peer has sent nothing for this long, once connected (RFC 7675).")
    var consentTimeoutMs = 30_000

    @Option(help: "Close when DTLS is not connected this long after the offer.")
    var handshakeTimeoutMs = 30_000

    @Option(help: "Print a stats line this often (0: only on request and at the end).")
    var statsIntervalMs = 1000

    @Option(help: "Write each decrypted RTP/RTCP packet received to this directory (for fixtures).")
    var dumpDir: String?

    @Option(help: "Log level on stderr (trace, debug, info, notice, warning, error).")
    var logLevel: Logger.Level = .info

    @Option(help: "Log lines as text or json (one object a line; default: SFU_LOG_FORMAT, else text).")
    var logFormat: LogFormat?

    func validate() throws {
        do {
            _ = try SRTPProfile.parseList(srtpProfiles)
            _ = try ICEConfiguration.parsePortRange(portRange)
        } catch {
            throw ValidationError(error.description)
        }
        if let tone, !(20...20_000).contains(tone) { throw ValidationError("--tone must be between 20 and 20000 Hz") }
        guard consentTimeoutMs >= 100, handshakeTimeoutMs >= 100 else { throw ValidationError("timeouts must be at least 100 ms") }
        guard statsIntervalMs >= 0 else { throw ValidationError("--stats-interval-ms must not be negative") }
    }

    func run() throws {
        try bootstrapLogging(level: logLevel, format: logFormat)
        let settings = ProbeSettings(
            srtpProfiles: try SRTPProfile.parseList(srtpProfiles),
            toneFrequency: tone,
            trickle: trickle,
            ice: ICEConfiguration(portRange: try ICEConfiguration.parsePortRange(portRange), bindAddresses: bindAddresses,
                                  publicAddresses: publicAddresses),
            timeouts: .init(consentMilliseconds: consentTimeoutMs, handshakeMilliseconds: handshakeTimeoutMs),
            statsIntervalMilliseconds: statsIntervalMs,
            dumpDirectory: dumpDir)
        let certificate = try DTLSCertificate.generate()
        let context = try DTLSContext(certificate: certificate, srtpProfiles: settings.srtpProfiles)
        let worker = MediaWorker(index: 0)
        let session = try worker.sync { WorkerBound(ProbeSession(worker: worker, context: context, settings: settings), worker: worker) }
        try worker.sync { session.value.startStatsTimer() }

        // stdin is read on this thread; each line is handed to the session on its worker.
        while let line = readLine(strippingNewline: true) {
            if line.utf8.count > ProbeSession.maximumLineBytes {
                worker.post { session.value.reportBadMessage("line of \(line.utf8.count) bytes exceeds \(ProbeSession.maximumLineBytes)") }
                continue
            }
            worker.post { session.value.handle(line: line) }
        }
        worker.post { session.value.finish(reason: "stdin closed") }
        // The session exits the process once it has printed its final lines.
        while true { sleep(60) }
    }
}

struct ProbeSettings: Sendable {
    var srtpProfiles: [SRTPProfile]
    var toneFrequency: Double?
    var trickle: Bool
    var ice: ICEConfiguration
    var timeouts: PeerTransport.Timeouts
    var statsIntervalMilliseconds: Int
    var dumpDirectory: String?
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

import ArgumentParser
import Foundation
import Logging
import SFU
import ServiceLifecycle
import Signaling
import STUN
import Transport
import TURN

/// `sfu serve`: the SFU core and the signaling service in one process, stopped gracefully on
/// SIGTERM/SIGINT (every session gets `bye`, then the core shuts down).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the SFU: WebSocket signaling (docs/signaling.md) and media forwarding.",
        discussion: """
            Settings come from flags, then environment variables (SFU_HOST, SFU_PORT, SFU_DEV, SFU_API_KEYS, \
            SFU_API_KEY/SFU_API_SECRET, SFU_PUBLIC_URL, SFU_CONFIG), then the JSON file of --config; \
            docs/operations.md lists them.
            """
    )

    @Flag(help: "Development mode: accept the documented development key, serve /dev/token. Never on a public address.")
    var dev = false

    @Option(help: "Address to listen on for HTTP and WebSocket (default 127.0.0.1).")
    var host: String?

    @Option(help: "TCP port to listen on (default 8080; 0 picks a free one).")
    var port: Int?

    @Option(help: "JSON configuration file.")
    var config: String?

    @Option(name: .customLong("api-key"), help: "KEY:SECRET whose secret signs join tokens (repeatable).")
    var apiKeys: [String] = []

    @Option(name: .customLong("public-url"), help: "URL clients reach this server at, when a proxy makes it differ.")
    var publicURL: String?

    @Option(name: .customLong("metrics-token"), help: "Bearer token that /metrics and /stats require (16+ characters; open in --dev without one).")
    var metricsToken: String?

    @Option(help: "UDP port range for media, LOW-HIGH (default 50000-50999).")
    var mediaPorts: String?

    @Option(name: .customLong("public-address"), help: "Address announced for media instead of the host address (1:1 NAT; repeatable).")
    var publicAddresses: [String] = []

    @Option(name: .customLong("bind"), help: "Local address to gather media candidates on (repeatable); default: all.")
    var bindAddresses: [String] = []

    @Option(help: "Media worker threads (0, the default: one per core).")
    var workers: Int?

    @Option(help: "Close a connected peer that sent nothing for this long (RFC 7675; default 30).")
    var consentTimeoutSeconds: Int?

    @Option(name: .customLong("max-participants"), help: "Participants one room admits (default 100).")
    var maxParticipants: Int?

    @Flag(name: .customLong("no-turn"), help: "Do not run the bundled STUN/TURN relay.")
    var noTURN = false

    @Flag(name: .customLong("no-audio-red"),
          help: "Negotiate no redundant audio (RFC 2198 RED) with publishers or subscribers: half the audio bitrate, no cover for a lost packet.")
    var noAudioRED = false

    @Option(name: .customLong("turn-port"), help: "The relay's UDP and TCP port (default 3478).")
    var turnPort: Int?

    @Option(name: .customLong("turn-host"), help: "Host or address put in the turn: URLs clients get (default: the media address).")
    var turnHost: String?

    @Option(name: .customLong("turn-relay-ports"), help: "Relay port range, LOW-HIGH, apart from the media ports (default 51000-59999).")
    var turnRelayPorts: String?

    @Option(name: .customLong("turn-cert"), help: "PEM certificate chain: enables TURN over TLS (turns:, port 5349).")
    var turnCertificate: String?

    @Option(name: .customLong("turn-key"), help: "PEM private key for --turn-cert.")
    var turnPrivateKey: String?

    @Option(name: .customLong("turn-allowed-peer"), help: "Peer block the relay may reach despite its default refusals (repeatable).")
    var turnAllowedPeers: [String] = []

    @Option(name: .customLong("turn-listen"), help: "Address the relay listens on (repeatable; default: the media bind addresses, or all).")
    var turnListen: [String] = []

    @Option(help: "Log level on stderr (trace, debug, info, notice, warning, error).")
    var logLevel: Logger.Level = .info

    @Option(help: "Log lines as text or json (one object a line; default: SFU_LOG_FORMAT, else text).")
    var logFormat: LogFormat?

    func validate() throws {
        if let mediaPorts {
            do {
                _ = try ICEConfiguration.parsePortRange(mediaPorts)
            } catch {
                throw ValidationError(error.description)
            }
        }
        if let workers, workers < 0 { throw ValidationError("--workers must not be negative") }
    }

    func run() async throws {
        try bootstrapLogging(level: logLevel, format: logFormat)
        let logger = Logger(label: "sfu")
        ProcessSetup.prepare(logger: logger)

        let signalingConfiguration: SignalingConfiguration
        do {
            var flags = SignalingConfigurationFlags(configFile: config, host: host, port: port, devMode: dev ? true : nil,
                                                    apiKeys: apiKeys, publicURL: publicURL, mediaPorts: mediaPorts,
                                                    bindAddresses: bindAddresses, publicAddresses: publicAddresses,
                                                    workers: workers, consentTimeoutSeconds: consentTimeoutSeconds)
            flags.relayEnabled = noTURN ? false : nil
            flags.relayPort = turnPort
            flags.relayHost = turnHost
            flags.relayPorts = turnRelayPorts
            flags.relayCertificate = turnCertificate
            flags.relayPrivateKey = turnPrivateKey
            flags.relayAllowedPeers = turnAllowedPeers
            flags.relayListenAddresses = turnListen
            flags.metricsToken = metricsToken
            flags.maxParticipantsPerRoom = maxParticipants
            signalingConfiguration = try SignalingConfigurationLoader.load(flags: flags, environment: ProcessInfo.processInfo.environment)
        } catch {
            throw CommandFailure(error.description)
        }
        if signalingConfiguration.devMode {
            logger.warning("development mode: /dev/token mints tokens for anyone; do not expose this server")
            if !signalingConfiguration.bindsLoopbackOnly {
                logger.warning("development mode on a non-loopback address", metadata: ["host": "\(signalingConfiguration.host)"])
            }
        }

        // Metrics first: every handle (SFU, signaling, relay) is made from this backend.
        let (registry, metricsFactory) = PrometheusSetup.bootstrap()

        let media = signalingConfiguration.media
        let ice = ICEConfiguration(portRange: media.portRange, bindAddresses: media.bindAddresses, publicAddresses: media.publicAddresses)
        var coreConfiguration = SFUConfiguration(
            workers: media.workers, ice: ice,
            timeouts: PeerTransport.Timeouts(consentMilliseconds: media.consentTimeoutSeconds * 1000),
            maxParticipantsPerRoom: media.maxParticipantsPerRoom)
        coreConfiguration.audioRedundancy = !noAudioRED
        let core = try SFURoomService(configuration: coreConfiguration, metrics: SFUMetrics(factory: metricsFactory))
        var relay: BundledRelay?
        if signalingConfiguration.relay.enabled {
            do {
                relay = try await BundledRelay.start(settings: signalingConfiguration.relay, media: media, logger: Logger(label: "sfu.turn"))
            } catch {
                await core.shutdown()
                throw CommandFailure("cannot start the TURN relay: \(error) (--no-turn runs without it)")
            }
        }
        let server = try await SignalingServer(configuration: signalingConfiguration, roomService: core, logger: logger,
                                               relayCredentials: relay?.credentials,
                                               metrics: SignalingMetrics(factory: metricsFactory),
                                               metricsExporter: SFUMetricsExporter(registry: registry, roomService: core))
        let publicURL = signalingConfiguration.publicURL
        let relayURLs = relay?.credentials.urls
        let application = server.makeApplication { host, port in
            var line = "sfu serve: listening on http://\(host):\(port) (WebSocket /ws)"
            if let publicURL { line += ", public URL \(publicURL)" }
            if let relayURLs { line += ", TURN \(relayURLs.joined(separator: " "))" }
            if signalingConfiguration.devMode { line += ", development mode" }
            // Unbuffered, so that a supervisor or test reading the pipe sees it at once.
            StandardStream.output.write(line + "\n")
        }

        // Shut down in reverse order: sessions get `bye` first, then the HTTP server stops,
        // then the core frees its transports and workers.
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [CoreService(core: core, relay: relay?.server), application, server.drainService],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
    }
}

/// The SFU core (and the bundled relay) as a service: idle until shutdown, then `shutdown()`.
private struct CoreService: Service {
    let core: SFURoomService
    let relay: TURNServer?

    func run() async throws {
        do {
            try await gracefulShutdown()
        } catch {
            // Cancelled: the group is going down without grace; still free the core.
        }
        if let relay {
            let statistics = await relay.statistics()
            Logger(label: "sfu.turn").info("TURN relay stopping", metadata: ["statistics": "\(statistics)"])
            await relay.stop()
        }
        await core.shutdown()
    }
}

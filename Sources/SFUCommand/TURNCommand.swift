import ArgumentParser
import Foundation
import Logging
import Signaling
import STUN
import TURN

/// `sfu turn`: the STUN/TURN relay alone, with coturn's flag names where they mean the same.
struct TURNCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "turn",
        abstract: "Run the STUN/TURN relay alone (RFC 8489, RFC 8656, RFC 6156).",
        discussion: """
            Clients authenticate with static users (--user, --user-file) or TURN REST API credentials \
            (--static-auth-secret, shared with the signaling service). Peers on loopback, private, \
            link-local and this host's own addresses are refused unless --allowed-peer-ip lists them. \
            docs/operations.md describes every setting.
            """
    )

    @Option(name: .customLong("listening-ip"), help: "Address to listen on (repeatable; default: every interface address).")
    var listeningIPs: [String] = []

    @Option(name: [.customLong("listening-port"), .customShort("p")], help: "UDP and TCP port (default 3478).")
    var port: UInt16 = 3478

    @Option(name: .customLong("tls-listening-port"), help: "TLS port, used with --cert and --pkey (default 5349).")
    var tlsPort: UInt16 = 5349

    @Option(name: .customLong("cert"), help: "PEM certificate chain for TURN over TLS.")
    var certificate: String?

    @Option(name: .customLong("pkey"), help: "PEM private key for TURN over TLS.")
    var privateKey: String?

    @Option(name: .customLong("relay-ip"), help: "Address relayed transport addresses are bound to (repeatable, one per family).")
    var relayIPs: [String] = []

    @Option(name: .customLong("external-ip"), help: "Address advertised for relayed addresses behind 1:1 NAT (repeatable, one per family).")
    var externalIPs: [String] = []

    @Option(name: .customLong("min-port"), help: "Lowest relay port (default 49152).")
    var minPort: UInt16 = 49152

    @Option(name: .customLong("max-port"), help: "Highest relay port (default 65535).")
    var maxPort: UInt16 = 65535

    @Option(help: "REALM (default sfu).")
    var realm: String = "sfu"

    @Option(name: [.customLong("user"), .customShort("u")], help: "Static user NAME:PASSWORD (repeatable).")
    var users: [String] = []

    @Option(name: .customLong("user-file"), help: "File of NAME:PASSWORD lines ('#' starts a comment).")
    var userFile: String?

    @Option(name: .customLong("static-auth-secret"), help: "TURN REST API shared secret (or SFU_TURN_SECRET).")
    var restSecret: String?

    @Option(name: .customLong("allowed-peer-ip"), help: "Peer block allowed despite the default refusals, e.g. 10.1.0.0/16 (repeatable).")
    var allowedPeers: [String] = []

    @Option(name: .customLong("denied-peer-ip"), help: "Peer block refused in addition to the defaults (repeatable).")
    var deniedPeers: [String] = []

    @Flag(name: .customLong("no-udp"), help: "Do not listen on UDP.")
    var noUDP = false

    @Flag(name: .customLong("no-tcp"), help: "Do not listen on TCP.")
    var noTCP = false

    @Option(name: .customLong("user-quota"), help: "Allocations per user at once (default 64).")
    var userQuota: Int?

    @Option(name: .customLong("total-quota"), help: "Allocations in total (default 10000).")
    var totalQuota: Int?

    @Option(name: .customLong("max-bps"), help: "Bytes per second per allocation and direction; 0 unlimited (default 4000000).")
    var maxBytesPerSecond: Int?

    @Option(name: .customLong("nonce-lifetime"), help: "Seconds a nonce stays valid (default 600).")
    var nonceLifetime: UInt32?

    @Option(name: .customLong("max-allocate-lifetime"), help: "Longest allocation lifetime in seconds (default 3600).")
    var maxAllocateLifetime: UInt32?

    @Option(help: "Relay worker threads (0, the default: one per core).")
    var threads: Int = 0

    @Option(name: .customLong("metrics-listen"), help: "Serve GET /metrics (Prometheus) on HOST:PORT; needs a metrics token.")
    var metricsListen: String?

    @Option(name: .customLong("metrics-token"), help: "Bearer token /metrics requires, 16+ characters (or SFU_METRICS_TOKEN).")
    var metricsToken: String?

    @Option(help: "Log level on stderr (trace, debug, info, notice, warning, error).")
    var logLevel: Logger.Level = .info

    @Option(help: "Log lines as text or json (one object a line; default: SFU_LOG_FORMAT, else text).")
    var logFormat: LogFormat?

    func run() async throws {
        try bootstrapLogging(level: logLevel, format: logFormat)
        ProcessSetup.prepare(logger: Logger(label: "sfu.turn"))
        let configuration: TURNConfiguration
        do {
            configuration = try makeConfiguration(environment: ProcessInfo.processInfo.environment)
            try configuration.validate()
        } catch {
            throw ValidationError(error.description)
        }
        // Metrics before the relay: its counters are made from the bootstrapped backend.
        var metrics: (host: String, port: Int, token: String)?
        if let metricsListen {
            guard let address = MetricsEndpoint.parse(metricsListen) else { throw ValidationError("--metrics-listen must be HOST:PORT") }
            let token = metricsToken ?? ProcessInfo.processInfo.environment["SFU_METRICS_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
            guard let token, token.count >= 16 else {
                throw ValidationError("--metrics-listen needs a metrics token of at least 16 characters (--metrics-token or SFU_METRICS_TOKEN)")
            }
            metrics = (address.host, address.port, token)
        }
        let (registry, _) = PrometheusSetup.bootstrap()
        let server = try TURNServer(configuration: configuration, logger: Logger(label: "turn"))
        do {
            try await server.start()
        } catch {
            throw CommandFailure("cannot listen: \(error)")
        }
        var metricsTask: Task<Void, any Error>?
        if let metrics {
            let application = MetricsEndpoint.application(
                host: metrics.host, port: metrics.port, registry: registry,
                authorization: MetricsAuthorization(token: metrics.token, openWithoutToken: false), logger: Logger(label: "turn.metrics"))
            metricsTask = Task { try await application.runService(gracefulShutdownSignals: []) }
        }
        let bound = server.boundAddresses
        var lines = "sfu turn: listening udp \(bound.udp) tcp \(bound.tcp) tls \(bound.tls) realm \(configuration.realm)\n"
        if let metrics { lines += "sfu turn: metrics on http://\(metrics.host):\(metrics.port)/metrics\n" }
        StandardStream.output.write(lines)
        await waitForTermination()
        metricsTask?.cancel()
        StandardStream.error.write("sfu turn: \(await server.statistics())\n")
        await server.stop()
    }

    func makeConfiguration(environment: [String: String]) throws(TURNConfigurationError) -> TURNConfiguration {
        var configuration = TURNConfiguration()
        configuration.listenAddresses = try listeningIPs.map { text throws(TURNConfigurationError) in try Self.address(text, "--listening-ip") }
        configuration.relayAddresses = try relayIPs.map { text throws(TURNConfigurationError) in try Self.address(text, "--relay-ip") }
        configuration.externalAddresses = try externalIPs.map { text throws(TURNConfigurationError) in try Self.address(text, "--external-ip") }
        configuration.port = port
        configuration.tlsPort = tlsPort
        switch (certificate, privateKey) {
        case (let cert?, let key?): configuration.tls = TLSSettings(certificatePath: cert, privateKeyPath: key)
        case (nil, nil): break
        default: throw .invalid("--cert and --pkey go together")
        }
        guard minPort >= 1024, minPort < maxPort else { throw .invalid("relay ports: 1024 <= --min-port < --max-port") }
        configuration.relayPorts = minPort...maxPort
        configuration.realm = realm
        var entries = users
        if let userFile {
            guard let text = try? String(contentsOfFile: userFile, encoding: .utf8) else {
                throw .invalid("cannot read --user-file \(userFile)")
            }
            entries += text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        }
        for entry in entries {
            let parts = entry.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, !parts[1].isEmpty else { throw .invalid("user \"\(entry)\" must be NAME:PASSWORD") }
            configuration.users[String(parts[0])] = String(parts[1])
        }
        configuration.restSecret = restSecret ?? environment["SFU_TURN_SECRET"].flatMap { $0.isEmpty ? nil : $0 }
        configuration.peerPolicy.allowed = try allowedPeers.map { text throws(TURNConfigurationError) in try Self.network(text, "--allowed-peer-ip") }
        configuration.peerPolicy.denied = try deniedPeers.map { text throws(TURNConfigurationError) in try Self.network(text, "--denied-peer-ip") }
        configuration.enableUDP = !noUDP
        configuration.enableTCP = !noTCP
        if let userQuota { configuration.quotas.allocationsPerUser = userQuota }
        if let totalQuota { configuration.quotas.allocationsTotal = totalQuota }
        if let maxBytesPerSecond { configuration.quotas.bytesPerSecondPerAllocation = maxBytesPerSecond }
        if let nonceLifetime { configuration.lifetimes.nonceSeconds = nonceLifetime }
        if let maxAllocateLifetime { configuration.lifetimes.maximumAllocationSeconds = maxAllocateLifetime }
        configuration.threads = threads
        return configuration
    }

    static func address(_ text: String, _ flag: String) throws(TURNConfigurationError) -> IPAddress {
        guard let address = IPAddress(text) else { throw .invalid("\(flag) \(text) is not an IPv4 or IPv6 address") }
        return address
    }

    static func network(_ text: String, _ flag: String) throws(TURNConfigurationError) -> IPNetwork {
        guard let network = IPNetwork(text) else { throw .invalid("\(flag) \(text) is not an address block (ADDRESS[/PREFIX])") }
        return network
    }
}

/// Returns on SIGINT or SIGTERM.
func waitForTermination() async {
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let fired = SignalOnce(continuation)
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { fired.fire() }
            source.resume()
            fired.keep(source)
        }
    }
}

private final class SignalOnce: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Void, Never>?
    private var sources: [any DispatchSourceSignal] = []

    init(_ continuation: CheckedContinuation<Void, Never>) { self.continuation = continuation }

    func keep(_ source: any DispatchSourceSignal) {
        lock.withLock { sources.append(source) }
    }

    func fire() {
        let pending = lock.withLock { () -> CheckedContinuation<Void, Never>? in
            defer { continuation = nil }
            return continuation
        }
        pending?.resume()
    }
}

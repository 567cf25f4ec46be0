import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import SFU
import ServiceLifecycle

/// The signaling service: `GET /ws` (room protocol), `GET /healthz`, the bundled static files,
/// `GET /metrics` (Prometheus) and `GET /stats`, `GET /stats/rooms/NAME` (JSON) behind the metrics
/// token, and in development mode `/dev/token` and `/debug/token-timing`.
///
/// `sfu serve` runs `makeApplication()` and `drainService` in one `ServiceGroup` with the SFU
/// core; tests run the application through HummingbirdTesting.
public struct SignalingServer: Sendable {
    public let configuration: SignalingConfiguration
    public let verifier: TokenVerifier
    let registry = SessionRegistry()
    let sessionContext: SignalingSession.Context
    private let staticFiles: StaticFiles
    private let devIssuer: TokenIssuer?
    private let startedAt = ContinuousClock.now
    private let logger: Logger
    let metricsExporter: (any MetricsExporter)?

    /// The bundled `Public` folder (demo page, browser client).
    public static var bundledPublicDirectory: URL? {
        Bundle.module.url(forResource: "Public", withExtension: nil)
    }

    /// - Parameters:
    ///   - publicDirectory: folder of static files; the bundled one by default.
    ///   - relayCredentials: the bundled TURN relay's URLs and secret; each `joined` then carries a
    ///     fresh credential for it after the configured `iceServers`.
    ///   - clock: the verifier's wall clock (tests move it).
    ///   - metrics: where token checks and message handling times are recorded.
    ///   - metricsExporter: what `/metrics` serves; without one it answers 404.
    public init(configuration: SignalingConfiguration, roomService: any RoomService, logger: Logger = Logger(label: "sfu.signaling"),
                publicDirectory: URL? = SignalingServer.bundledPublicDirectory, relayCredentials: RelayCredentialIssuer? = nil,
                metrics: SignalingMetrics = SignalingMetrics(), metricsExporter: (any MetricsExporter)? = nil,
                clock: @escaping @Sendable () -> Date = { Date() }) async throws(ConfigurationError) {
        try configuration.validate()
        self.configuration = configuration
        self.logger = logger
        self.metricsExporter = metricsExporter
        self.verifier = await TokenVerifier(keys: configuration.effectiveAPIKeys, leeway: configuration.tokenLeeway,
                                            metrics: metrics, logger: logger, now: clock)
        self.sessionContext = SignalingSession.Context(roomService: roomService, verifier: verifier, limits: configuration.effectiveLimits,
                                                       iceServers: configuration.iceServers, relayCredentials: relayCredentials,
                                                       clock: clock, logger: logger, metrics: metrics)
        self.staticFiles = StaticFiles(directory: publicDirectory)
        self.devIssuer = configuration.devMode ? await TokenIssuer(key: DevelopmentCredentials.apiKey) : nil
    }

    /// Open WebSocket sessions.
    public var sessionCount: Int { registry.count }

    /// Sends every session `bye` (`server-shutdown`) and closes it; refuses new ones. The drain
    /// service calls this on SIGTERM/SIGINT.
    public func shutDownSessions() {
        registry.shutDownAll()
    }

    /// Ends the sessions when the service group shuts down; list it after the application.
    public var drainService: SessionDrainService {
        SessionDrainService(registry: registry, timeout: .seconds(5), logger: logger)
    }

    /// The HTTP and WebSocket server. `onListening` gets the bound host and port once it
    /// accepts connections (the port is the real one when the configuration says 0).
    public func makeApplication(onListening: @escaping @Sendable (_ host: String, _ port: Int) async -> Void = { _, _ in })
        -> some ApplicationProtocol
    {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: StaticFilesMiddleware(files: staticFiles))
        addRoutes(to: router)

        let webSocketHandler: WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context> = {
            [registry, sessionContext] inbound, outbound, _ in
            let session = SignalingSession(id: registry.makeID(), context: sessionContext)
            guard registry.add(session) else {
                session.outbox.fail(.shuttingDown, RoomError.shuttingDown.description, id: nil)
                await session.run(inbound: inbound, outbound: outbound)
                return
            }
            defer { registry.remove(session) }
            await session.run(inbound: inbound, outbound: outbound)
        }

        let limits = configuration.effectiveLimits
        let host = configuration.host
        return Application(
            router: router,
            // The upgrade is decided by a plain function of the request, not by a WebSocket
            // router: hummingbird-websocket's router upgrade stores the request context inside
            // the context's own `webSocket` handler box, a retain cycle that kept every
            // connection's context (its logger and metadata, the box) alive for good, ~0.8 KB
            // per connection. A request that is not an upgrade of `GET /ws` is not upgraded and
            // goes to `router` (which answers a plain `GET /ws` with 426), as before.
            server: .http1WebSocketUpgrade(
                configuration: .init(ws: WebSocketServerConfiguration(
                    maxFrameSize: limits.transportFrameBytes,
                    // Detects dead TCP connections; the protocol's own idle limit is separate.
                    // (A closed connection's cancelled ping sleep keeps ~0.7 KB until its 30 s
                    // deadline, in the Swift runtime on Linux: memory under churn plateaus at
                    // connections per second × 30 s × 0.7 KB; it is not a leak.)
                    autoPing: .enabled(timePeriod: .seconds(30)),
                    closeTimeout: .seconds(5))),
                shouldUpgrade: { request, _, _ in
                    Self.isWebSocketEndpoint(request) ? .upgrade([:], webSocketHandler) : .dontUpgrade
                }),
            configuration: ApplicationConfiguration(address: .hostname(host, port: configuration.port), serverName: "sfu"),
            onServerRunning: { channel in
                await onListening(host, channel.localAddress?.port ?? 0)
            },
            logger: logger)
    }

    private func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("/healthz") { [registry, startedAt] _, _ -> Response in
            let uptime = ContinuousClock.now - startedAt
            return Self.json(["status": "ok", "uptimeSeconds": .integer(uptime.components.seconds), "sessions": .integer(Int64(registry.count))])
        }
        // A plain GET of the WebSocket endpoint (no upgrade headers).
        router.get("/ws") { _, _ -> Response in
            Self.json(["error": "this endpoint speaks WebSocket (RFC 6455): send an Upgrade request"], status: .upgradeRequired)
        }
        addObservabilityRoutes(to: router)
        guard configuration.devMode, let devIssuer else { return }
        router.get("/dev/token") { [configuration] request, _ -> Response in
            let query = request.uri.queryParameters
            guard let room = query.get("room"), let identity = query.get("identity") else {
                return Self.json(["error": "room and identity are required"], status: .badRequest)
            }
            let name = query.get("name")
            let token: String
            do throws(TokenIssueError) {
                token = try await devIssuer.mint(room: room, identity: identity, name: name,
                                                 grants: Grants(publish: true, subscribe: true, admin: true))
            } catch {
                return Self.json(["error": .string(error.reason)], status: .badRequest)
            }
            var body: [String: JSONValue] = ["token": .string(token), "room": .string(room), "identity": .string(identity)]
            if let url = Self.webSocketURL(publicURL: configuration.publicURL, host: request.head.authority) {
                body["url"] = .string(url)
            }
            return Self.json(.object(body))
        }
        router.get("/debug/token-timing") { [verifier] _, _ -> Response in
            let snapshot = await verifier.timings.snapshot()
            return Self.json([
                "count": .integer(Int64(snapshot.count)),
                "window": .integer(Int64(snapshot.window)),
                "p50Microseconds": .integer(snapshot.p50Microseconds),
                "p95Microseconds": .integer(snapshot.p95Microseconds),
                "p99Microseconds": .integer(snapshot.p99Microseconds),
                "maxMicroseconds": .integer(snapshot.maxMicroseconds),
            ])
        }
    }

    /// Whether a WebSocket upgrade request is for the room protocol: `GET /ws`, matched as the
    /// router matched it (query ignored, empty path components skipped, case-sensitive).
    static func isWebSocketEndpoint(_ request: HTTPRequest) -> Bool {
        guard request.method == .get, let target = request.path else { return false }
        let path = target.prefix { $0 != "?" && $0 != "#" }
        return path.split(separator: "/", omittingEmptySubsequences: true) == ["ws"]
    }

    /// The room protocol's URL as clients should use it: from the public URL if configured,
    /// else from the request's Host.
    static func webSocketURL(publicURL: String?, host: String?) -> String? {
        if let publicURL {
            var base = publicURL
            while base.hasSuffix("/") { base.removeLast() }
            if base.lowercased().hasPrefix("https://") { return "wss://" + base.dropFirst(8) + "/ws" }
            if base.lowercased().hasPrefix("http://") { return "ws://" + base.dropFirst(7) + "/ws" }
            return nil
        }
        guard let host, !host.isEmpty else { return nil }
        return "ws://\(host)/ws"
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        var headers: HTTPFields = [.contentType: "application/json", .cacheControl: "no-store"]
        let text = value.jsonText()
        headers[.contentLength] = "\(text.utf8.count)"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}

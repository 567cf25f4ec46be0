import Hummingbird
import Logging
import Prometheus
import Signaling

/// `GET /metrics` on an HTTP listener of its own, for `sfu turn` (which has no signaling server):
/// the process's swift-prometheus registry, behind the metrics token.
enum MetricsEndpoint {
    static func application(host: String, port: Int, registry: PrometheusCollectorRegistry, authorization: MetricsAuthorization,
                            logger: Logger) -> some ApplicationProtocol {
        let router = Router()
        router.get("/metrics") { request, _ -> Response in
            if let refusal = authorization.refusal(for: request) { return refusal }
            return MetricsAuthorization.exposition(registry.emitToString())
        }
        return Application(router: router, configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "sfu-turn"),
                           logger: logger)
    }

    /// HOST:PORT (IPv6 in brackets: [::1]:9641).
    static func parse(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }
}

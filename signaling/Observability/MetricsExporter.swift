/// What `GET /metrics` serves: the process's metrics in the Prometheus text format (version
/// 0.0.4). `sfu serve` provides it (the swift-prometheus registry plus the SFU's worker and room
/// figures); the signaling service only guards and serves it.
public protocol MetricsExporter: Sendable {
    func exposition() async -> String
}

import Prometheus
import SFU
import Signaling

/// `GET /metrics` for `sfu serve`: the swift-prometheus registry (control-plane timers and
/// counters of the SFU, signaling and relay), then the workers' and rooms' figures read at scrape
/// time (`StatisticsExposition`).
struct SFUMetricsExporter: MetricsExporter {
    let registry: PrometheusCollectorRegistry
    let roomService: any RoomService

    func exposition() async -> String {
        var text = registry.emitToString()
        StatisticsExposition.render(await roomService.serviceStatistics(), into: &text)
        return text
    }
}

import Metrics
import Prometheus

/// The process's swift-metrics backend: a Prometheus registry, with histogram buckets chosen for
/// what each timer measures (the library's defaults start at 5 ms, too coarse for a token check,
/// too fine for ICE).
enum PrometheusSetup {
    static func makeFactory(registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        func milliseconds(_ values: [Double]) -> [Duration] { values.map { .microseconds(Int64($0 * 1000)) } }
        factory.durationHistogramBuckets = [
            "sfu_ice_connect_seconds": milliseconds([10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000]),
            "sfu_dtls_handshake_seconds": milliseconds([5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000]),
            "sfu_join_to_first_media_seconds": milliseconds([50, 100, 250, 500, 1000, 2000, 3000, 5000, 10_000, 30_000]),
            "sfu_token_check_seconds": milliseconds([0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 100]),
            "sfu_signaling_message_seconds": milliseconds([0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 1000]),
        ]
        return factory
    }

    /// Bootstraps swift-metrics once per process with a fresh registry.
    static func bootstrap() -> (PrometheusCollectorRegistry, PrometheusMetricsFactory) {
        let registry = PrometheusCollectorRegistry()
        let factory = makeFactory(registry: registry)
        MetricsSystem.bootstrap(factory)
        return (registry, factory)
    }
}

import Metrics

/// The SFU's control-plane timings and counts, through swift-metrics: recorded once per
/// connection or join, never per packet (per-packet figures stay in plain counters on the
/// workers, `WorkerStatistics`, and are read when scraped). `sfu serve` exports them with
/// Prometheus; a process that bootstraps nothing records into swift-metrics' no-op handlers.
public struct SFUMetrics: Sendable {
    /// From a transport's start (the peer's parameters applied) to its first working ICE pair.
    let iceConnect: Timer
    /// From ICE connected to DTLS connected (SRTP keys ready).
    let dtlsHandshake: Timer
    /// From the join request to the first media packet sent to the participant.
    let joinToFirstMedia: Timer
    let joins: Counter
    let leaves: Counter

    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        iceConnect = Timer(label: "sfu_ice_connect_seconds", factory: factory)
        dtlsHandshake = Timer(label: "sfu_dtls_handshake_seconds", factory: factory)
        joinToFirstMedia = Timer(label: "sfu_join_to_first_media_seconds", factory: factory)
        joins = Counter(label: "sfu_joins_total", factory: factory)
        leaves = Counter(label: "sfu_leaves_total", factory: factory)
    }
}

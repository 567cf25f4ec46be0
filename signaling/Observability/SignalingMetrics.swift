import Metrics

/// The signaling service's timings through swift-metrics (exported by `sfu serve` with
/// Prometheus): token checks, and the handling of each message type, from its arrival to its
/// reply (a `join` includes the token check and the admission by the SFU).
public struct SignalingMetrics: Sendable {
    let tokenCheck: Timer
    private let messageHandling: [String: Timer]
    private let undecodable: Timer

    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        tokenCheck = Timer(label: "sfu_token_check_seconds", factory: factory)
        var timers: [String: Timer] = [:]
        for type in ClientMessage.types {
            timers[type] = Timer(label: "sfu_signaling_message_seconds", dimensions: [("type", type)], factory: factory)
        }
        messageHandling = timers
        undecodable = Timer(label: "sfu_signaling_message_seconds", dimensions: [("type", "invalid")], factory: factory)
    }

    /// `type` nil: a message that did not decode.
    func recordMessage(type: String?, _ duration: Duration) {
        (type.flatMap { messageHandling[$0] } ?? undecodable).record(duration: duration)
    }
}

import Metrics

/// The relay's metrics (swift-metrics; exported by whatever backend the process bootstraps).
/// Data-path counts are summed per relay worker and added here once a second, so the per-packet
/// cost is an integer add.
public struct TURNMetrics: Sendable {
    let allocations = Gauge(label: "turn_allocations")
    let allocationsCreated = Counter(label: "turn_allocations_created_total")
    let packetsRelayedToPeers = Counter(label: "turn_relayed_packets_total", dimensions: [("direction", "to_peer")])
    let packetsRelayedToClients = Counter(label: "turn_relayed_packets_total", dimensions: [("direction", "to_client")])
    let bytesRelayedToPeers = Counter(label: "turn_relayed_bytes_total", dimensions: [("direction", "to_peer")])
    let bytesRelayedToClients = Counter(label: "turn_relayed_bytes_total", dimensions: [("direction", "to_client")])
    let packetsDropped = Counter(label: "turn_dropped_packets_total")
    let authenticationFailures = Counter(label: "turn_authentication_failures_total")
    let rateLimitedRequests = Counter(label: "turn_rate_limited_requests_total")
    let refusedPeers = Counter(label: "turn_refused_peers_total")
    let quotaRefusals = Counter(label: "turn_quota_refusals_total")
    let malformedMessages = Counter(label: "turn_malformed_messages_total")

    public init() {}
}

/// Plain counters for one relay worker's data path, flushed to `TURNMetrics` by its sweep.
/// They are also summed into `TURNServer.statistics()` for tests and `sfu turn` logs.
struct DataPathCounters {
    var packetsToPeers = 0
    var packetsToClients = 0
    var bytesToPeers = 0
    var bytesToClients = 0
    var dropped = 0
}

/// A snapshot of what the relay has done since it started.
public struct TURNStatistics: Sendable, Equatable, CustomStringConvertible {
    public var allocations = 0
    public var allocationsCreated = 0
    public var packetsToPeers = 0
    public var packetsToClients = 0
    public var bytesToPeers = 0
    public var bytesToClients = 0
    public var dropped = 0
    public var authenticationFailures = 0
    public var refusedPeers = 0
    public var malformedMessages = 0
    /// Unauthenticated UDP answers larger than their request even in short form (Binding and
    /// Allocate only).
    public var oversizedUnauthenticatedAnswers = 0
    /// Unauthenticated UDP requests left unanswered because even the short answer was larger.
    public var unansweredForSize = 0

    public var description: String {
        "allocations=\(allocations) created=\(allocationsCreated) packets to peers=\(packetsToPeers) to clients=\(packetsToClients) "
            + "bytes to peers=\(bytesToPeers) to clients=\(bytesToClients) dropped=\(dropped) auth failures=\(authenticationFailures) "
            + "refused peers=\(refusedPeers) malformed=\(malformedMessages) oversized answers=\(oversizedUnauthenticatedAnswers) unanswered for size=\(unansweredForSize)"
    }
}

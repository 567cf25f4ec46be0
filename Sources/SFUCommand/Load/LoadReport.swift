import Foundation

/// The summary of a load run: what a user sizing a deployment reads (percentiles, not averages),
/// printed as text and written as JSON.
struct LoadReport: Encodable {
    struct Percentiles: Encodable {
        var count: Int
        var p50: Double?
        var p95: Double?
        var p99: Double?
        var max: Double?

        /// Nearest-rank percentiles of `values`.
        init(_ values: [Double]) {
            let sorted = values.sorted()
            count = sorted.count
            func rank(_ p: Double) -> Double? {
                guard !sorted.isEmpty else { return nil }
                return sorted[Swift.max(0, Int((p * Double(sorted.count)).rounded(.up)) - 1)]
            }
            p50 = rank(0.5)
            p95 = rank(0.95)
            p99 = rank(0.99)
            max = sorted.last
        }

        var text: String {
            func f(_ v: Double?) -> String { v.map { String(format: "%.1f", $0) } ?? "-" }
            return "p50 \(f(p50))  p95 \(f(p95))  p99 \(f(p99))  max \(f(max))  (n=\(count))"
        }
    }

    var scenario: String
    var url: String
    var participants: Int
    var joined: Int
    var failed: Int
    var durationSeconds: Double
    var joinMilliseconds: Percentiles
    var firstMediaMilliseconds: Percentiles
    /// Retry storm: the second join, and its first media.
    var rejoinMilliseconds: Percentiles
    var rejoinFirstMediaMilliseconds: Percentiles
    var latencyMilliseconds: Percentiles
    var receivedKilobitsPerSecond: Percentiles
    var videoJitterMilliseconds: Percentiles
    var packetsExpected: Int
    var packetsLost: Int
    var lossPercent: Double
    var errors: [String: Int]
    var interrupted: String?
    var outcomes: [ParticipantOutcome]

    init(scenario: String, url: String, durationSeconds: Double, outcomes: [ParticipantOutcome], interrupted: String?) {
        self.scenario = scenario
        self.url = url
        self.durationSeconds = durationSeconds
        self.outcomes = outcomes
        self.interrupted = interrupted
        participants = outcomes.count
        joined = outcomes.filter(\.joined).count
        failed = outcomes.filter { $0.error != nil }.count
        joinMilliseconds = Percentiles(outcomes.compactMap(\.joinMilliseconds))
        let subscribers = outcomes.filter { !$0.publishes }
        firstMediaMilliseconds = Percentiles(subscribers.compactMap(\.firstMediaMilliseconds))
        rejoinMilliseconds = Percentiles(outcomes.compactMap(\.rejoinMilliseconds))
        rejoinFirstMediaMilliseconds = Percentiles(subscribers.compactMap(\.rejoinFirstMediaMilliseconds))
        latencyMilliseconds = Percentiles(subscribers.flatMap { $0.latencyMicroseconds.map { Double($0) / 1000 } })
        receivedKilobitsPerSecond = Percentiles(subscribers.map { $0.receivedBitsPerSecond / 1000 })
        videoJitterMilliseconds = Percentiles(subscribers.filter { $0.video.packets > 0 }.map(\.video.jitterMilliseconds))
        packetsExpected = subscribers.reduce(0) { $0 + $1.audio.expected + $1.video.expected }
        packetsLost = subscribers.reduce(0) { $0 + $1.audio.lost + $1.video.lost }
        lossPercent = packetsExpected > 0 ? 100 * Double(packetsLost) / Double(packetsExpected) : 0
        var errors: [String: Int] = [:]
        for outcome in outcomes { if let error = outcome.error { errors[error, default: 0] += 1 } }
        self.errors = errors
    }

    var text: String {
        var lines = [
            "sfu load: \(scenario) against \(url), \(String(format: "%.1f", durationSeconds)) s",
            "  participants      \(participants), joined \(joined), with errors \(failed)",
            "  join (ms)         \(joinMilliseconds.text)",
            "  first media (ms)  \(firstMediaMilliseconds.text)",
            "  latency (ms)      \(latencyMilliseconds.text)",
        ] + (rejoinMilliseconds.count == 0 ? [] : [
            "  rejoin (ms)       \(rejoinMilliseconds.text)",
            "  media again (ms)  \(rejoinFirstMediaMilliseconds.text)",
        ]) + [
            "  received (kbit/s) \(receivedKilobitsPerSecond.text)",
            "  video jitter (ms) \(videoJitterMilliseconds.text)",
            "  loss              \(packetsLost) of \(packetsExpected) packets (\(String(format: "%.3f", lossPercent)) %)",
        ]
        for (error, count) in errors.sorted(by: { $0.value > $1.value }).prefix(10) { lines.append("  error ×\(count): \(error)") }
        if let interrupted { lines.append("  interrupted: \(interrupted)") }
        return lines.joined(separator: "\n")
    }
}

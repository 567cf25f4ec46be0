import Foundation
import Hummingbird
import SFU
import Transport

/// `/metrics` and `/stats`: what operators and their monitoring read. Both need the metrics
/// token (`Authorization: Bearer TOKEN`); in development mode without a token they are open
/// (`MetricsAuthorization`).
extension SignalingServer {
    func addObservabilityRoutes(to router: Router<BasicRequestContext>) {
        let authorization = MetricsAuthorization(token: configuration.metricsToken, openWithoutToken: configuration.devMode)
        let exporter = metricsExporter
        let roomService = sessionContext.roomService
        let registry = self.registry

        router.get("/metrics") { request, _ -> Response in
            if let refusal = authorization.refusal(for: request) { return refusal }
            guard let exporter else {
                return Self.json(["error": "this process exports no metrics"], status: .notFound)
            }
            var text = await exporter.exposition()
            text += "# HELP sfu_signaling_sessions Open WebSocket sessions.\n# TYPE sfu_signaling_sessions gauge\n"
            text += "sfu_signaling_sessions \(registry.count)\n"
            return MetricsAuthorization.exposition(text)
        }

        router.get("/stats") { request, _ -> Response in
            if let refusal = authorization.refusal(for: request) { return refusal }
            let statistics = await roomService.serviceStatistics()
            return Self.encoded(ServiceSummary(statistics, sessions: registry.count))
        }

        router.get("/stats/rooms/:room") { request, context -> Response in
            if let refusal = authorization.refusal(for: request) { return refusal }
            guard let name = context.parameters.get("room"), let statistics = await roomService.statistics(room: name) else {
                return Self.json(["error": "no such room"], status: .notFound)
            }
            return Self.encoded(statistics)
        }
    }

    static func encoded(_ value: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(value) else {
            return json(["error": "statistics could not be encoded"], status: .internalServerError)
        }
        var headers: HTTPFields = [.contentType: "application/json", .cacheControl: "no-store"]
        headers[.contentLength] = "\(data.count)"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// `GET /stats`: every room in short, and the workers with their forwarding latency percentiles.
struct ServiceSummary: Encodable {
    struct Room: Encodable {
        var name: String
        var worker: Int
        var participants: Int
        var bitrateInBitsPerSecond: Int
        var bitrateOutBitsPerSecond: Int
    }

    struct Worker: Encodable {
        var index: Int
        var cpuSeconds: Double
        var rooms: Int
        var packetsForwarded: Int
        var directDatagrams: Int
        var glibIterations: Int
        var heldDatagramsSent: Int
        var heldDatagramsInRuns: Int
        var heldRuns: Int
        var heldDatagramsDropped: Int
        /// Upper bounds of the latency buckets holding the 50th, 95th and 99th percentiles.
        var forwardingLatencyP50Microseconds: Double?
        var forwardingLatencyP95Microseconds: Double?
        var forwardingLatencyP99Microseconds: Double?
        /// The same for the time received RTP waited in its socket before the worker read it.
        var receiveWaitP50Microseconds: Double?
        var receiveWaitP95Microseconds: Double?
        var receiveWaitP99Microseconds: Double?
    }

    var sessions: Int
    var participants: Int
    var rooms: [Room]
    var workers: [Worker]

    init(_ statistics: ServiceStatistics, sessions: Int) {
        self.sessions = sessions
        participants = statistics.participantCount
        rooms = statistics.rooms.map {
            Room(name: $0.name, worker: $0.worker, participants: $0.participants.count,
                 bitrateInBitsPerSecond: $0.bitrateInBitsPerSecond, bitrateOutBitsPerSecond: $0.bitrateOutBitsPerSecond)
        }
        workers = statistics.workers.map { worker in
            func microseconds(_ histogram: LatencyHistogram, _ quantile: Double) -> Double? {
                histogram.quantileUpperBoundNanoseconds(quantile).map { Double($0) / 1000 }
            }
            let latency = worker.forwardingLatency, wait = worker.receiveWait
            return Worker(index: worker.index, cpuSeconds: worker.cpuSeconds, rooms: worker.rooms, packetsForwarded: worker.packetsForwarded,
                          directDatagrams: worker.directDatagrams, glibIterations: worker.glibIterations,
                          heldDatagramsSent: worker.heldDatagramsSent, heldDatagramsInRuns: worker.heldDatagramsInRuns,
                          heldRuns: worker.heldRuns, heldDatagramsDropped: worker.heldDatagramsDropped,
                          forwardingLatencyP50Microseconds: microseconds(latency, 0.5),
                          forwardingLatencyP95Microseconds: microseconds(latency, 0.95),
                          forwardingLatencyP99Microseconds: microseconds(latency, 0.99),
                          receiveWaitP50Microseconds: microseconds(wait, 0.5), receiveWaitP95Microseconds: microseconds(wait, 0.95),
                          receiveWaitP99Microseconds: microseconds(wait, 0.99))
        }
    }
}

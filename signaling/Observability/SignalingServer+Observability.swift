import Foundation
import Hummingbird
import SFU

/// `/metrics` and `/stats`: what operators and their monitoring read. Both need the metrics
/// token (`Authorization: Bearer TOKEN`); in development mode without a token they are open.
extension SignalingServer {
    func addObservabilityRoutes(to router: Router<BasicRequestContext>) {
        let configuration = self.configuration
        let exporter = metricsExporter
        let roomService = sessionContext.roomService
        let registry = self.registry

        router.get("/metrics") { request, _ -> Response in
            if let refusal = Self.refuseUnauthorized(request, configuration: configuration) { return refusal }
            guard let exporter else {
                return Self.json(["error": "this process exports no metrics"], status: .notFound)
            }
            var text = await exporter.exposition()
            text += "# HELP sfu_signaling_sessions Open WebSocket sessions.\n# TYPE sfu_signaling_sessions gauge\n"
            text += "sfu_signaling_sessions \(registry.count)\n"
            var headers: HTTPFields = [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"]
            headers[.contentLength] = "\(text.utf8.count)"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }

        router.get("/stats") { request, _ -> Response in
            if let refusal = Self.refuseUnauthorized(request, configuration: configuration) { return refusal }
            let statistics = await roomService.serviceStatistics()
            return Self.encoded(ServiceSummary(statistics, sessions: registry.count))
        }

        router.get("/stats/rooms/:room") { request, context -> Response in
            if let refusal = Self.refuseUnauthorized(request, configuration: configuration) { return refusal }
            guard let name = context.parameters.get("room"), let statistics = await roomService.statistics(room: name) else {
                return Self.json(["error": "no such room"], status: .notFound)
            }
            return Self.encoded(statistics)
        }
    }

    /// nil when the request may see the figures; else the answer: 403 when no token is set up
    /// (and not in development mode), 401 with a Bearer challenge (RFC 6750 3) otherwise.
    static func refuseUnauthorized(_ request: Request, configuration: SignalingConfiguration) -> Response? {
        guard let token = configuration.metricsToken else {
            if configuration.devMode { return nil }
            return json(["error": "metrics and stats are disabled: set a metrics token (--metrics-token, SFU_METRICS_TOKEN)"],
                        status: .forbidden)
        }
        let presented = request.headers[.authorization].flatMap { value -> Substring? in
            let prefix = "bearer "
            guard value.count > prefix.count, value.prefix(prefix.count).lowercased() == prefix else { return nil }
            return value.dropFirst(prefix.count)
        }
        if let presented, constantTimeEqual(Array(presented.utf8), Array(token.utf8)) { return nil }
        var response = json(["error": "a valid metrics token is required (Authorization: Bearer TOKEN)"], status: .unauthorized)
        response.headers[.wwwAuthenticate] = "Bearer realm=\"sfu\""
        return response
    }

    /// Compares without stopping at the first difference, so the time taken says nothing about
    /// how much of a guess was right.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
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
        /// Upper bounds of the latency buckets holding the 50th, 95th and 99th percentiles.
        var forwardingLatencyP50Microseconds: Double?
        var forwardingLatencyP95Microseconds: Double?
        var forwardingLatencyP99Microseconds: Double?
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
            let latency = worker.forwardingLatency
            func microseconds(_ quantile: Double) -> Double? { latency.quantileUpperBoundNanoseconds(quantile).map { Double($0) / 1000 } }
            return Worker(index: worker.index, cpuSeconds: worker.cpuSeconds, rooms: worker.rooms, packetsForwarded: worker.packetsForwarded,
                          forwardingLatencyP50Microseconds: microseconds(0.5), forwardingLatencyP95Microseconds: microseconds(0.95),
                          forwardingLatencyP99Microseconds: microseconds(0.99))
        }
    }
}

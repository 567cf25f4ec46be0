import Foundation
import Hummingbird
import HummingbirdTesting
import SFU
import Testing
import Transport
@testable import Signaling

/// `/metrics`, `/stats` and `/stats/rooms/NAME`: who may read them, and what they say.
@Suite struct ObservabilityEndpointTests {
    static let token = "metrics-token-0123456789"

    struct FixedExporter: MetricsExporter {
        func exposition() async -> String { "# TYPE sfu_test gauge\nsfu_test 1\n" }
    }

    func body(_ response: TestResponse) -> String { String(buffer: response.body) }

    static func room() -> RoomStatistics {
        var alice = ParticipantStatistics(id: "PA_alice", identity: "alice")
        alice.bitrateInBitsPerSecond = 1_500_000
        alice.publishedTracks = 2
        var bob = ParticipantStatistics(id: "PA_bob", identity: "bob")
        bob.bitrateOutBitsPerSecond = 1_400_000
        bob.roundTripSeconds = 0.012
        bob.nacksReceived = 3
        return RoomStatistics(name: "auction-7", worker: 1, participants: [alice, bob])
    }

    @Test("without a token and outside development mode, metrics and stats are refused with 403")
    func refusedWithoutToken() async throws {
        let server = try await Fixtures.server(FakeRoomService(), dev: false, metricsExporter: FixedExporter())
        try await server.makeApplication().test(.router) { client in
            for path in ["/metrics", "/stats", "/stats/rooms/auction-7"] {
                try await client.execute(uri: path, method: .get, headers: [.authorization: "Bearer anything-at-all-here"]) { response in
                    #expect(response.status == .forbidden, "\(path)")
                    #expect(body(response).contains("metrics token"))
                }
            }
        }
    }

    @Test("with a token configured: none, a wrong one or another scheme get 401 with a Bearer challenge; the token gets 200")
    func tokenRequired() async throws {
        let service = FakeRoomService()
        await service.set(rooms: [Self.room()])
        for dev in [false, true] {
            let server = try await Fixtures.server(service, dev: dev, metricsToken: Self.token, metricsExporter: FixedExporter())
            try await server.makeApplication().test(.router) { client in
                for path in ["/metrics", "/stats", "/stats/rooms/auction-7"] {
                    for header in [nil, "Bearer wrong-token-0123456789", "Basic \(Self.token)", "Bearer \(Self.token)x", "Bearer "] {
                        let headers: HTTPFields = header.map { [.authorization: $0] } ?? [:]
                        try await client.execute(uri: path, method: .get, headers: headers) { response in
                            #expect(response.status == .unauthorized, "\(path) with \(header ?? "no header")")
                            #expect(response.headers[.wwwAuthenticate] == "Bearer realm=\"sfu\"")
                        }
                    }
                    for scheme in ["Bearer", "bearer"] {
                        try await client.execute(uri: path, method: .get, headers: [.authorization: "\(scheme) \(Self.token)"]) { response in
                            #expect(response.status == .ok, "\(path) with \(scheme)")
                        }
                    }
                }
            }
        }
    }

    @Test("development mode without a token leaves them open")
    func openInDevelopmentMode() async throws {
        let server = try await Fixtures.server(FakeRoomService(), dev: true, metricsExporter: FixedExporter())
        try await server.makeApplication().test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
                let text = body(response)
                #expect(text.hasPrefix("# TYPE sfu_test gauge\nsfu_test 1\n"))
                #expect(text.contains("\nsfu_signaling_sessions 0\n"))
            }
        }
    }

    @Test("a process without an exporter answers /metrics with 404")
    func noExporter() async throws {
        let server = try await Fixtures.server(FakeRoomService(), dev: true)
        try await server.makeApplication().test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test("/stats/rooms/NAME is the room's participants as JSON; an unknown room is 404; /stats sums up")
    func roomStatistics() async throws {
        let service = FakeRoomService()
        await service.set(rooms: [Self.room()])
        let server = try await Fixtures.server(service, dev: true)
        try await server.makeApplication().test(.router) { client in
            try await client.execute(uri: "/stats/rooms/auction-7", method: .get) { response in
                #expect(response.status == .ok)
                let decoded = try JSONDecoder().decode(RoomStatistics.self, from: Data(body(response).utf8))
                #expect(decoded == Self.room())
            }
            try await client.execute(uri: "/stats/rooms/nowhere", method: .get) { response in
                #expect(response.status == .notFound)
            }
            try await client.execute(uri: "/stats", method: .get) { response in
                #expect(response.status == .ok)
                let json = try JSONValue.parse(Data(body(response).utf8))
                #expect(json["participants"] == 2)
                #expect(json["sessions"] == 0)
                guard case .array(let rooms)? = json["rooms"] else {
                    Issue.record("rooms is not an array")
                    return
                }
                #expect(rooms.first?["name"] == "auction-7")
                #expect(rooms.first?["bitrateInBitsPerSecond"] == 1_500_000)
            }
        }
    }

    @Test("tokens compare in full: same length and prefix differences are refused")
    func constantTimeComparison() {
        let token = Array("abcdefghijklmnop".utf8)
        #expect(MetricsAuthorization.constantTimeEqual(token, token))
        #expect(!MetricsAuthorization.constantTimeEqual(token, Array("abcdefghijklmnoq".utf8)))
        #expect(!MetricsAuthorization.constantTimeEqual(token, Array("abcdefghijklmno".utf8)))
        #expect(!MetricsAuthorization.constantTimeEqual(token, []))
    }
}

@Suite struct StatisticsExpositionTests {
    @Test("the forwarding latency and receive wait histograms are cumulative over the workers, with sum and count")
    func latencyHistogram() {
        var first = LatencyHistogram()
        first.record(nanoseconds: 800)  // <= 1 us
        first.record(nanoseconds: 30_000)  // <= 50 us
        var second = LatencyHistogram()
        second.record(nanoseconds: 2_000_000_000)  // +Inf
        let statistics = ServiceStatistics(workers: [
            WorkerStatistics(index: 0, cpuSeconds: 1.5, packetsForwarded: 2, forwardingLatency: first, receiveWait: second,
                             rooms: 1),
            WorkerStatistics(index: 1, cpuSeconds: 0.25, packetsForwarded: 1, forwardingLatency: second, rooms: 0),
        ])
        var text = ""
        StatisticsExposition.render(statistics, into: &text)
        #expect(text.contains("# TYPE sfu_forwarding_latency_seconds histogram\n"))
        #expect(text.contains("sfu_forwarding_latency_seconds_bucket{le=\"1e-06\"} 1\n"))
        #expect(text.contains("sfu_forwarding_latency_seconds_bucket{le=\"2.5e-05\"} 1\n"))
        #expect(text.contains("sfu_forwarding_latency_seconds_bucket{le=\"5e-05\"} 2\n"))
        #expect(text.contains("sfu_forwarding_latency_seconds_bucket{le=\"0.1\"} 2\n"))
        #expect(text.contains("sfu_forwarding_latency_seconds_bucket{le=\"+Inf\"} 3\n"))
        #expect(text.contains("sfu_forwarding_latency_seconds_count 3\n"))
        #expect(text.contains("sfu_forwarding_latency_seconds_sum 2.0000308\n"))
        #expect(text.contains("# TYPE sfu_receive_wait_seconds histogram\n"))
        #expect(text.contains("sfu_receive_wait_seconds_bucket{le=\"0.1\"} 0\n"))
        #expect(text.contains("sfu_receive_wait_seconds_bucket{le=\"+Inf\"} 1\n"))
        #expect(text.contains("sfu_receive_wait_seconds_count 1\n"))
        #expect(text.contains("sfu_worker_cpu_seconds_total{worker=\"1\"} 0.25\n"))
        #expect(text.contains("sfu_worker_forwarded_packets_total{worker=\"0\"} 2\n"))
    }

    @Test("room and participant series carry escaped labels; figures not known yet are left out")
    func roomSeries() {
        var participant = ParticipantStatistics(id: "PA_1", identity: "x")
        participant.bitrateInBitsPerSecond = 64_000
        let room = RoomStatistics(name: "a \"quoted\\ room\nname", worker: 0, participants: [participant])
        var text = ""
        StatisticsExposition.render(ServiceStatistics(rooms: [room]), into: &text)
        let label = #"room="a \"quoted\\ room\nname""#
        #expect(text.contains("sfu_room_participants{\(label)} 1\n"))
        #expect(text.contains("sfu_participant_bitrate_in_bits_per_second{\(label),participant=\"PA_1\"} 64000\n"))
        #expect(text.contains("sfu_rooms 1\nsfu_participants 1\n") || text.contains("sfu_rooms 1\n"))
        #expect(!text.contains("sfu_participant_round_trip_seconds{"))
        // Every sample line belongs to a declared family.
        var declared: Set<String> = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") { declared.insert(String(line.split(separator: " ")[2])) }
            else if !line.hasPrefix("#") {
                let name = String(line.prefix { $0 != "{" && $0 != " " })
                let family = ["_bucket", "_sum", "_count"].reduce(name) { $0.hasSuffix($1) ? String($0.dropLast($1.count)) : $0 }
                #expect(declared.contains(name) || declared.contains(family), "\(line)")
            }
        }
    }
}

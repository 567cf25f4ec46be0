import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdWSTesting
import Logging
import Testing
@testable import Signaling

/// Nothing a WebSocket connection brings with it outlives the connection.
///
/// The per-connection objects (Hummingbird's request context, the `SignalingSession`, the
/// upgrade closures, the channel handlers) all carry a copy of the server's logger with
/// metadata added for that connection (`hb.request.id`, `session`). `TrackingLogHandler`
/// gives every such copy an object of its own and counts how many are alive: once the
/// connections are closed and their sessions finished, the count must be back where it was.
/// With the WebSocket router's upgrade (a request context held in its own `webSocket` box, a
/// retain cycle) every connection left one behind, ~0.8 KB of resident memory each.
@Suite(.timeLimit(.minutes(1))) struct ConnectionLifetimeTests {
    @Test func closedConnectionsLeaveNothingAlive() async throws {
        let live = LiveCount()
        let logger = Logger(label: "signaling-lifetime-test") { _ in TrackingLogHandler(live: live) }
        let configuration = SignalingConfiguration(host: "127.0.0.1", port: 0, apiKeys: [Fixtures.key])
        let server = try await SignalingServer(configuration: configuration, roomService: FakeRoomService(), logger: logger)
        let connections = 20

        try await server.makeApplication().test(.live) { client in
            // Warm up (whatever the server sets up once), then take the baseline.
            try await pingAndClose(client)
            let warmedUp = await settles(live, atMost: nil, server: server)
            #expect(warmedUp, "the warm-up session did not finish")
            let baseline = live.value

            for _ in 0..<connections { try await pingAndClose(client) }
            let settled = await settles(live, atMost: baseline, server: server)
            #expect(settled, "\(live.value - baseline) of \(connections) closed connections left per-connection state alive")
        }
    }

    /// One connection that only pings and closes, like those `test_room_churn.py` saw leak.
    private func pingAndClose(_ client: some TestClientProtocol) async throws {
        try await client.ws("/ws") { inbound, outbound, _ in
            var conversation = Conversation(inbound, outbound)
            try await conversation.send(#"{"v":1,"type":"ping","id":1}"#)
            #expect(try await conversation.receive() == ["v": 1, "type": "pong", "id": 1])
        }
    }

    /// Waits (at most 5 s) until every session has finished and at most `limit` tokens are alive.
    private func settles(_ live: LiveCount, atMost limit: Int?, server: SignalingServer) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            if server.sessionCount == 0, live.value <= limit ?? .max { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    @Test func upgradeIsForGetWsOnly() {
        func request(_ path: String, _ method: HTTPRequest.Method = .get) -> HTTPRequest {
            HTTPRequest(method: method, scheme: "http", authority: "localhost", path: path)
        }
        for path in ["/ws", "/ws?token=abc", "/ws/", "//ws", "/ws#x"] {
            #expect(SignalingServer.isWebSocketEndpoint(request(path)), "\(path)")
        }
        for path in ["/", "/wss", "/ws/x", "/WS", "/x/ws", "/dev/token"] {
            #expect(!SignalingServer.isWebSocketEndpoint(request(path)), "\(path)")
        }
        #expect(!SignalingServer.isWebSocketEndpoint(request("/ws", .post)))
    }
}

/// How many `TrackingLogHandler.Token`s are alive.
final class LiveCount: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    var value: Int { lock.withLock { count } }
    func add(_ delta: Int) { lock.withLock { count += delta } }
}

/// Drops every message; each copy given metadata of its own gets a fresh token, so that the
/// tokens alive are the loggers derived per connection and still referenced.
struct TrackingLogHandler: LogHandler {
    final class Token: Sendable {
        let live: LiveCount
        init(_ live: LiveCount) {
            self.live = live
            live.add(1)
        }
        deinit { live.add(-1) }
    }

    let live: LiveCount
    private var token: Token?
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:] {
        didSet { token = Token(live) }
    }

    init(live: LiveCount) {
        self.live = live
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {}
}

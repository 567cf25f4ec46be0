import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdWSTesting
import WSClient
import Logging
import SFU
import Testing
@testable import Signaling

enum Fixtures {
    static let key = try! APIKey(id: "testkey", secret: "test-secret-0123456789abcdef-0123456789")

    static func server(_ service: FakeRoomService, dev: Bool = false, limits: SignalingLimits = SignalingLimits(),
                       publicDirectory: URL? = SignalingServer.bundledPublicDirectory, metricsToken: String? = nil,
                       metricsExporter: (any MetricsExporter)? = nil) async throws -> SignalingServer {
        var logger = Logger(label: "signaling-test")
        logger.logLevel = ProcessInfo.processInfo.environment["SIG_TEST_DEBUG"] != nil ? .trace : .warning
        var configuration = SignalingConfiguration(host: "127.0.0.1", port: 0, devMode: dev, apiKeys: [key], limits: limits)
        configuration.metricsToken = metricsToken
        return try await SignalingServer(configuration: configuration, roomService: service, logger: logger, publicDirectory: publicDirectory,
                                         metricsExporter: metricsExporter)
    }

    static func token(room: String = "room", identity: String = "alice", grants: Grants = Grants(), ttl: Duration = .seconds(600),
                      key: APIKey = key, at date: Date = Date()) async throws -> String {
        try await TokenIssuer(key: key).mint(room: room, identity: identity, grants: grants, ttl: ttl, now: date)
    }

    static func join(_ token: String, id: Int = 1) -> String {
        #"{"v":1,"type":"join","id":\#(id),"token":"\#(token)"}"#
    }
}

/// One client WebSocket conversation: send text, receive decoded server messages.
struct Conversation {
    var iterator: WebSocketInboundMessageStream.AsyncIterator
    let outbound: WebSocketOutboundWriter

    init(_ inbound: WebSocketInboundStream, _ outbound: WebSocketOutboundWriter) {
        self.iterator = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
        self.outbound = outbound
    }

    func send(_ text: String) async throws {
        try await outbound.writeTextMessage(text)
    }

    /// The next server message, or nil when the server closed.
    mutating func receive() async throws -> JSONValue? {
        guard let message = try await iterator.next() else { return nil }
        guard case .text(let text) = message else {
            Issue.record("binary message from the server")
            return nil
        }
        return try JSONValue.parse(Data(text.utf8))
    }

    /// Receives until the server closes; returns what came.
    mutating func receiveUntilClosed() async throws -> [JSONValue] {
        var messages: [JSONValue] = []
        while let message = try await receive() { messages.append(message) }
        return messages
    }
}

extension JSONValue {
    var type: String? { self["type"]?.stringValue }
}

/// Runs `body` against a live server (127.0.0.1 via `localhost`, ephemeral port) over one
/// WebSocket; returns the close code the server sent.
@discardableResult
func withConversation(_ server: SignalingServer, maxFrameSize: Int = 1 << 17,
                      _ body: @escaping @Sendable (inout Conversation) async throws -> Void) async throws -> UInt16? {
    let app = server.makeApplication()
    return try await app.test(.live) { client in
        let frame = try await client.ws("/ws", configuration: .init(maxFrameSize: maxFrameSize)) { inbound, outbound, _ in
            var conversation = Conversation(inbound, outbound)
            try await body(&conversation)
        }
        return frame.map { UInt16(webSocketErrorCode: $0.closeCode) }
    }
}

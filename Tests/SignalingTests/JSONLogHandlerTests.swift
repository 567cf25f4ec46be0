import Foundation
import Logging
import SFU
import Synchronization
import Testing
@testable import Signaling

@Suite("JSON logs")
struct JSONLogHandlerTests {
    final class Lines: Sendable {
        let captured = Mutex<[String]>([])
        var all: [String] { captured.withLock { $0 } }
        func append(_ line: String) { captured.withLock { $0.append(line) } }
    }

    func logger(_ lines: Lines, level: Logger.Level = .info, metadataProvider: Logger.MetadataProvider? = nil) -> Logger {
        Logger(label: "sfu.test") { label in
            var handler = JSONLogHandler(label: label, metadataProvider: metadataProvider) { lines.append($0) }
            handler.logLevel = level
            handler[metadataKey: "room"] = "auction-7"
            handler[metadataKey: "participant"] = "PA_handler"
            return handler
        }
    }

    /// One line: newline-terminated, no other newline, a JSON object (parsed by Foundation).
    func object(_ line: String) throws -> [String: Any] {
        #expect(line.hasSuffix("\n") && !line.dropLast().contains("\n") && !line.contains("\r"), "one line per record: \(line)")
        return try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test("one JSON object per line: ts, level, label, message first, then the metadata; the record's metadata wins")
    func fields() throws {
        let lines = Lines()
        logger(lines).info("joined", metadata: ["participant": "PA_1", "count": .stringConvertible(3)])
        let line = try #require(lines.all.first)
        let fields = try object(line)
        #expect(fields["level"] as? String == "info")
        #expect(fields["label"] as? String == "sfu.test")
        #expect(fields["message"] as? String == "joined")
        #expect(fields["room"] as? String == "auction-7")
        #expect(fields["participant"] as? String == "PA_1")
        #expect(fields["count"] as? String == "3")
        #expect(fields.count == 7)
        let ts = try #require(fields["ts"] as? String)
        #expect(ts.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil, "ISO 8601 UTC with milliseconds: \(ts)")
        // The fixed fields lead, the metadata follows in key order.
        #expect(line.hasPrefix(#"{"ts":""#))
        #expect(line.hasSuffix(#","level":"info","label":"sfu.test","message":"joined","count":"3","participant":"PA_1","room":"auction-7"}"# + "\n"))
    }

    @Test("the metadata provider's fields, overridden by the record's; an error becomes a field")
    func providerAndError() throws {
        struct Failure: Error, CustomStringConvertible { var description: String { "socket gone" } }
        let lines = Lines()
        let provider = Logger.MetadataProvider { ["trace": "t-1", "room": "from-provider"] }
        let log = logger(lines, metadataProvider: provider)
        log.info("a")
        log.info("b", metadata: ["trace": "t-2"])
        log.log(level: .error, "c", error: Failure())
        let fields = try lines.all.map(object)
        #expect(fields.count == 3)
        #expect(fields[0]["trace"] as? String == "t-1" && fields[0]["room"] as? String == "from-provider")
        #expect(fields[1]["trace"] as? String == "t-2")
        #expect(fields[2]["error"] as? String == "socket gone" && fields[2]["level"] as? String == "error")
    }

    @Test("quotes, backslashes, newlines, control characters and non-ASCII text round-trip")
    func escaping() throws {
        let lines = Lines()
        let nasty = "a \"quoted\" \\ back\nslash\r\tand \u{00}\u{01}\u{08}\u{0C}\u{1B}\u{1F}\u{7F} — ünïcode 🎥 \u{2028}\u{2029} é"
        logger(lines).warning("\(nasty)", metadata: ["room": "\(nasty)", "key \"\n": "v"])
        let line = try #require(lines.all.first)
        let fields = try object(line)
        #expect(fields["message"] as? String == nasty)
        #expect(fields["room"] as? String == nasty)
        #expect(fields["key \"\n"] as? String == "v")
        // The escapes as written: short forms where JSON has them, \u00XX for the other controls.
        #expect(line.contains(#"a \"quoted\" \\ back\nslash\r\tand \u0000\u0001\b\f\u001b\u001f"#))
        #expect(line.contains(#"🎥 \u2028\u2029"#))
        // The project's own parser agrees.
        let parsed = try JSONValue.parse(Data(line.utf8))
        #expect(parsed["message"]?.stringValue == nasty)
    }

    @Test("below the level nothing is written; metadata keys never replace the four fields")
    func levelAndReservedKeys() throws {
        let lines = Lines()
        var log = logger(lines, level: .warning)
        log.info("dropped")
        log.debug("dropped")
        log.warning("kept")
        log.error("kept", metadata: ["level": "forged", "message": "forged", "ts": "forged", "label": "forged"])
        #expect(lines.all.count == 2)
        let fields = try object(lines.all[1])
        #expect(fields["level"] as? String == "error" && fields["message"] as? String == "kept")
        #expect(fields["label"] as? String == "sfu.test" && fields["ts"] as? String != "forged")
        log.logLevel = .debug
        log.debug("now kept")
        #expect(lines.all.count == 3)
        #expect(try object(lines.all[2])["level"] as? String == "debug")
    }

    @Test("arrays and dictionaries come out as JSON arrays and objects")
    func nested() throws {
        let lines = Lines()
        logger(lines).info("tracks", metadata: [
            "tracks": ["a", "b"],
            "sizes": ["audio": "1", "video": ["x": "2"], "list": [.stringConvertible(4), ["nested": []]]],
            "empty": [:],
        ])
        let line = try #require(lines.all.first)
        let fields = try object(line)
        #expect(fields["tracks"] as? [String] == ["a", "b"])
        let sizes = try #require(fields["sizes"] as? [String: Any])
        #expect(sizes["audio"] as? String == "1")
        #expect((sizes["video"] as? [String: String]) == ["x": "2"])
        let list = try #require(sizes["list"] as? [Any])
        #expect(list.first as? String == "4")
        #expect(((list.last as? [String: Any])?["nested"] as? [Any])?.isEmpty == true)
        #expect((fields["empty"] as? [String: Any])?.isEmpty == true)
        #expect(line.contains(#""sizes":{"audio":"1","list":["4",{"nested":[]}],"video":{"x":"2"}}"#))
    }

    @Test("timestamps: UTC calendar dates, milliseconds truncated")
    func timestamps() {
        #expect(JSONLogHandler.timestamp(seconds: 0, nanoseconds: 0) == "1970-01-01T00:00:00.000Z")
        #expect(JSONLogHandler.timestamp(seconds: 1_795_725_107, nanoseconds: 447_999_999) == "2026-11-26T20:31:47.447Z")
        #expect(JSONLogHandler.timestamp(seconds: 951_782_400, nanoseconds: 5_000_000) == "2000-02-29T00:00:00.005Z")
        #expect(JSONLogHandler.timestamp(seconds: 4_107_542_399, nanoseconds: 999_000_000) == "2100-02-28T23:59:59.999Z")
        // Against Foundation, over many days across leap years and century boundaries.
        let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        for step in stride(from: Int64(-2_208_988_800), to: 7_258_118_400, by: 86_400 * 37 + 3_671) {
            #expect(JSONLogHandler.timestamp(seconds: step, nanoseconds: 0) == Date(timeIntervalSince1970: Double(step)).formatted(style))
        }
    }

    @Test("lines written from many threads at once stay whole")
    func concurrentWriters() async throws {
        let lines = Lines()
        let log = logger(lines)
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for index in 0..<200 { log.info("line \(index)", metadata: ["task": "\(task)", "pad": "\(String(repeating: "x", count: 5000))"]) }
                }
            }
        }
        #expect(lines.all.count == 1600)
        for line in lines.all { _ = try object(line) }
    }

    @Test("a signaling session's lines carry room and participant once joined, and session throughout")
    func sessionMetadata() async throws {
        let lines = Lines()
        var logger = Logger(label: "sfu.signaling") { JSONLogHandler(label: $0) { lines.append($0) } }
        logger.logLevel = .debug
        let service = FakeRoomService()
        let configuration = SignalingConfiguration(host: "127.0.0.1", port: 0, devMode: false, apiKeys: [Fixtures.key])
        let server = try await SignalingServer(configuration: configuration, roomService: service, logger: logger)
        let token = try await Fixtures.token()
        try await withConversation(server) { conversation in
            try await conversation.send(Fixtures.join(token))
            #expect(try await conversation.receive()?.type == "joined")
            try await conversation.send(#"{"v":1,"type":"leave","id":2}"#)
            _ = try await conversation.receiveUntilClosed()
        }
        // The session's last line is written as its tasks wind down, after the client saw the close.
        let deadline = ContinuousClock.now + .seconds(5)
        func sessionLines() throws -> [[String: Any]] {
            try lines.all.map(object).filter { $0["session"] != nil }
        }
        while try !sessionLines().contains(where: { $0["message"] as? String == "session closed" }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        let session = try sessionLines()
        let opened = try #require(session.first { $0["message"] as? String == "session opened" })
        #expect(opened["room"] == nil && opened["participant"] == nil)
        let joined = try #require(session.first { $0["message"] as? String == "joined" })
        #expect(joined["room"] as? String == "room" && joined["participant"] as? String == "p1" && joined["resumed"] as? String == "false")
        let closed = try #require(session.first { $0["message"] as? String == "session closed" })
        #expect(closed["room"] as? String == "room" && closed["participant"] as? String == "p1" && closed["ending"] as? String == "left")
        #expect(closed["session"] as? String == joined["session"] as? String)
    }
}

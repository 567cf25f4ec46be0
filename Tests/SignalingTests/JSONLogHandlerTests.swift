import Foundation
import Logging
import Synchronization
import Testing
@testable import Signaling

@Suite("JSON logs")
struct JSONLogHandlerTests {
    final class Lines: Sendable {
        let captured = Mutex<[String]>([])
        var all: [String] { captured.withLock { $0 } }
    }

    func logger(_ lines: Lines, level: Logger.Level = .info) -> Logger {
        Logger(label: "sfu.test") { label in
            var handler = JSONLogHandler(label: label) { line in lines.captured.withLock { $0.append(line) } }
            handler.logLevel = level
            handler[metadataKey: "room"] = "auction-7"
            handler[metadataKey: "participant"] = "PA_handler"
            return handler
        }
    }

    func object(_ line: String) throws -> [String: Any] {
        #expect(line.hasSuffix("\n") && !line.dropLast().contains("\n"), "one line per record: \(line)")
        return try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test("one JSON object per line: ts, level, label, message, metadata; the record's metadata wins")
    func fields() throws {
        let lines = Lines()
        logger(lines).info("joined", metadata: ["participant": "PA_1", "count": .stringConvertible(3)])
        let fields = try object(try #require(lines.all.first))
        #expect(fields["level"] as? String == "info")
        #expect(fields["label"] as? String == "sfu.test")
        #expect(fields["message"] as? String == "joined")
        #expect(fields["room"] as? String == "auction-7")
        #expect(fields["participant"] as? String == "PA_1")
        #expect(fields["count"] as? String == "3")
        let ts = try #require(fields["ts"] as? String)
        #expect(ts.hasSuffix("Z") && ts.contains("T") && ts.contains("."), "ISO 8601 UTC with fractional seconds: \(ts)")
    }

    @Test("quotes, backslashes, newlines, control characters and non-ASCII text survive")
    func escaping() throws {
        let lines = Lines()
        let nasty = "a \"quoted\" \\ back\nslash\tand \u{01}\u{1F} — ünïcode 🎥"
        logger(lines).warning("\(nasty)", metadata: ["room": "\(nasty)"])
        let fields = try object(try #require(lines.all.first))
        #expect(fields["message"] as? String == nasty)
        #expect(fields["room"] as? String == nasty)
    }

    @Test("below the level nothing is written; metadata keys never replace the four fields")
    func levelAndReservedKeys() throws {
        let lines = Lines()
        let log = logger(lines, level: .warning)
        log.info("dropped")
        log.error("kept", metadata: ["level": "forged", "message": "forged", "ts": "forged", "label": "forged"])
        #expect(lines.all.count == 1)
        let fields = try object(lines.all[0])
        #expect(fields["level"] as? String == "error" && fields["message"] as? String == "kept")
        #expect(fields["label"] as? String == "sfu.test" && fields["ts"] as? String != "forged")
    }

    @Test("arrays and dictionaries come out as JSON arrays and objects")
    func nested() throws {
        let lines = Lines()
        logger(lines).info("tracks", metadata: ["tracks": ["a", "b"], "sizes": ["audio": "1", "video": ["x": "2"]]])
        let fields = try object(try #require(lines.all.first))
        #expect(fields["tracks"] as? [String] == ["a", "b"])
        let sizes = try #require(fields["sizes"] as? [String: Any])
        #expect(sizes["audio"] as? String == "1")
        #expect((sizes["video"] as? [String: String]) == ["x": "2"])
    }
}

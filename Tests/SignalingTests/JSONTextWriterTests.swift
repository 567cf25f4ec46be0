import Foundation
import Testing
@testable import Signaling

@Suite("JSONTextWriter")
struct JSONTextWriterTests {
    @Test("compact, keys sorted, slashes unescaped, integers exact, 7.0 as 7")
    func exactText() {
        let value: JSONValue = [
            "type": "joined", "id": 7, "ratio": .number(0.25), "whole": .number(7.0), "ok": true, "none": .null,
            "codec": "opus/48000/2", "list": [1, "two", [:], []],
        ]
        #expect(value.jsonText()
            == #"{"codec":"opus/48000/2","id":7,"list":[1,"two",{},[]],"none":null,"ok":true,"ratio":0.25,"type":"joined","whole":7}"#)
    }

    @Test("strings: quote, backslash, control characters, U+2028/9 escaped; other Unicode as is")
    func escapes() {
        let text = "a\"b\\c\n\r\t\u{08}\u{0C}\u{01}\u{1F}\u{2028}\u{2029}é😀"
        #expect(JSONValue.string(text).jsonText() == #""a\"b\\c\n\r\t\b\f\u0001\u001f\u2028\u2029é😀""#)
    }

    @Test("what it writes, Foundation's decoder reads back to the same value")
    func roundTrip() throws {
        let value: JSONValue = [
            "sdp": "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\na=rtpmap:111 opus/48000/2\r\n",
            "nested": ["deep": [["x": -9_007_199_254_740_993], ["y": .number(-1.5e-7)], ["z": .number(1e300)]]],
            "empty": "", "unicode": "Zoë — 参加者 \u{0}",
        ]
        let parsed = try JSONValue.parse(Data(value.jsonText().utf8))
        #expect(parsed == value)
    }
}

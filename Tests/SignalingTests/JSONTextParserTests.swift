import Foundation
import Testing
@testable import Signaling

@Suite("JSONTextParser")
struct JSONTextParserTests {
    private func parse(_ text: String) throws -> JSONValue { try JSONValue.parse(Data(text.utf8)) }

    @Test("values of every kind; integers exact, other numbers Double; whitespace anywhere")
    func kinds() throws {
        let value = try parse(#" { "a" : [ 1 , -0, 7.5, 1e3, -2.5E-3, 9223372036854775807, 9223372036854775808 ] , "b":true,"c":false,"d":null,"e":{},"f":[] } "#)
        #expect(value == [
            "a": [.integer(1), .integer(0), .number(7.5), .number(1000), .number(-0.0025), .integer(Int64.max),
                  .number(9_223_372_036_854_775_808)],
            "b": true, "c": false, "d": .null, "e": [:], "f": [],
        ])
    }

    @Test("string escapes, surrogate pairs, raw UTF-8")
    func strings() throws {
        #expect(try parse(#""a\"b\\c\/d\b\f\n\r\t\u0041\u00e9\ud83d\ude00 raw é😀""#)
            == .string("a\"b\\c/d\u{08}\u{0C}\n\r\tAé😀 raw é😀"))
        #expect(try parse(#""""#) == .string(""))
    }

    @Test("what RFC 8259 does not allow is refused", arguments: [
        "", " ", "{", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "-", "1e", "+1", "tru", "nul", "[1 2]", "{\"a\" 1}", "{1:2}",
        "\"abc", "\"a\u{01}b\"", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\ud800\\u0041\"", "\"\\udc00\"", "1 2", "[] x",
        "1e999", "NaN", "'a'",
    ])
    func refused(_ text: String) {
        #expect(throws: (any Error).self) { try parse(text) }
    }

    @Test("invalid UTF-8 inside a string is refused")
    func invalidUTF8() {
        #expect(throws: (any Error).self) { try JSONValue.parse(Data([0x22, 0xC3, 0x28, 0x22])) }
        #expect(throws: (any Error).self) { try JSONValue.parse(Data([0x22, 0x5C, 0x6E, 0xFF, 0x22])) }
    }

    @Test("nesting deeper than the limit is refused, not a stack overflow")
    func depth() throws {
        let limit = JSONTextParser.maximumDepth
        _ = try parse(String(repeating: "[", count: limit) + String(repeating: "]", count: limit))
        #expect(throws: (any Error).self) {
            try parse(String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1))
        }
        #expect(throws: (any Error).self) { try parse(String(repeating: "{\"a\":", count: 100_000)) }
    }

    @Test("reads what the writer produces; on random mutations of it, accepts nothing Foundation's JSONSerialization refuses")
    func againstFoundation() throws {
        let sample: JSONValue = [
            "type": "joined", "participants": [["id": "PA_1", "name": "Zoë \"Z\" \\ 参加者", "tracks": [1, .number(2.5), true, .null]]],
            "sdp": "v=0\r\na=rtpmap:111 opus/48000/2\r\n",
        ]
        let text = Array(sample.jsonText().utf8)
        #expect(try JSONTextParser.parse(text) == sample)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            var mutated = text
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                let position = Int.random(in: 0..<mutated.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: mutated[position] = UInt8.random(in: 0...255, using: &generator)
                case 1: mutated.remove(at: position)
                default: mutated.insert(Array("{}[],:\"\\0e-".utf8).randomElement(using: &generator)!, at: position)
                }
            }
            let ours = try? JSONTextParser.parse(mutated)
            let foundation = try? JSONSerialization.jsonObject(with: Data(mutated), options: [.fragmentsAllowed])
            // At least as strict (Foundation also takes a trailing comma, RFC 8259 does not).
            if ours != nil { #expect(foundation != nil, "accepted \(String(decoding: mutated, as: UTF8.self))") }
        }
    }
}

import Testing
@testable import RTP

/// RFC 2198 payloads as Chromium sends Opus with RED: one redundant block (the previous frame,
/// 960 ticks earlier) and the primary one.
@Suite struct AudioRedundancyTests {
    /// Redundant block: PT 111, offset 960, 3 bytes; primary: PT 111, 2 bytes.
    static let payload: [UInt8] = [0xEF, 0x0F, 0x00, 0x03, 0x6F, 0xA1, 0xA2, 0xA3, 0xB1, 0xB2]

    @Test func blocksAndThePrimary() throws {
        let red = try #require(Self.payload.withUnsafeBytes { AudioRedundancy($0) })
        #expect(red.blockCount == 2 && red.primaryPayloadType == 111 && red.headersLength == 5 && red.primaryOffset == 8)
    }

    @Test func aPrimaryOnlyPayload() throws {
        let red = try #require([0x6F, 0xB1].withUnsafeBytes { AudioRedundancy($0) })
        #expect(red.blockCount == 1 && red.primaryOffset == 1)
    }

    @Test(arguments: [
        [] as [UInt8],
        [0xEF, 0x0F, 0x00],                          // a redundant header cut short
        [0xEF, 0x0F, 0x00, 0x03],                    // no primary header
        [0xEF, 0x0F, 0x03, 0xFF, 0x6F, 0x01],        // a block longer than the payload
    ])
    func malformedIsNil(_ bytes: [UInt8]) {
        #expect(bytes.withUnsafeBytes { AudioRedundancy($0) } == nil)
    }

    @Test func blockPayloadTypesAreRenamed() throws {
        var bytes = Self.payload
        let red = try #require(bytes.withUnsafeBytes { AudioRedundancy($0) })
        bytes.withUnsafeMutableBytes { red.replaceBlockPayloadType(111, with: 109, in: $0) }
        #expect(bytes[0] == 0x80 | 109 && bytes[4] == 109)
        #expect(Array(bytes[1...3]) == [0x0F, 0x00, 0x03] && Array(bytes[5...]) == Array(Self.payload[5...]))
    }
}

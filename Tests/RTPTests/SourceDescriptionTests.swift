import Testing
@testable import RTP

@Suite struct SourceDescriptionTests {
    // Two chunks: CNAME "abcd" and CNAME "x" + TOOL "t"; each list ends with a null octet
    // and zeros to the next 32-bit boundary.
    let bytes = hex("""
        82CA 0006
        11111111 01 04 61626364 0000
        22222222 01 01 78 06 01 74 0000
        """)

    @Test func handChecked() throws {
        // Chunk 1: SSRC (4) + item (6) + null & pad (2) = 12; chunk 2: SSRC (4) + 3 + 3 + null (1) + pad (1) = 12.
        #expect(bytes.count == 4 + 24)
        try withBytes(bytes) { buffer in
            let sdes = try SourceDescription(parsing: buffer)
            let chunks = Array(sdes)
            #expect(chunks.map(\.ssrc) == [0x1111_1111, 0x2222_2222])
            #expect(string(chunks[0].cname) == "abcd")
            #expect(string(chunks[1].cname) == "x")
            #expect(string(chunks[1].value(type: SourceDescriptionItem.tool)) == "t")
            #expect(chunks[1].map(\.type) == [1, 6])
        }
    }

    @Test func writerRoundTrip() throws {
        let out = try written { out throws(RTPWriteError) in
            var writer = try SourceDescriptionWriter(into: out)
            try writer.beginChunk(ssrc: 0x1111_1111)
            try writer.appendItem(type: SourceDescriptionItem.cname, value: "abcd".utf8)
            try writer.beginChunk(ssrc: 0x2222_2222)
            try writer.appendItem(type: SourceDescriptionItem.cname, value: "x".utf8)
            try writer.appendItem(type: SourceDescriptionItem.tool, value: "t".utf8)
            return try writer.finish()
        }
        #expect(out == bytes)
        let single = try written { out throws(RTPWriteError) in try SourceDescription.write(ssrc: 7, cname: "ab".utf8, into: out) }
        // SSRC + item = 8 bytes, already aligned: the null octet then needs 3 more zeros.
        #expect(single == hex("81CA 0003 00000007 01 02 6162 00000000"))
    }

    @Test func malformed() {
        // Item length runs past the packet.
        #expect(parseError(hex("81CA 0002 11111111 01 09 6162")) { try SourceDescription(parsing: $0) } == .malformedSourceDescription(offset: 4))
        // No terminating null octet.
        #expect(parseError(hex("81CA 0002 11111111 01 02 6162")) { try SourceDescription(parsing: $0) } == .malformedSourceDescription(offset: 4))
        // SC = 2, one chunk.
        #expect(parseError(hex("82CA 0002 11111111 01 01 61 00")) { try SourceDescription(parsing: $0) } == .malformedSourceDescription(offset: 12))
        #expect(writeError(capacity: 100) { out throws(RTPWriteError) in
            var writer = try SourceDescriptionWriter(into: out)
            try writer.appendItem(type: 1, value: [1] as [UInt8])
            return try writer.finish()
        } == .invalidOrder)
    }
}

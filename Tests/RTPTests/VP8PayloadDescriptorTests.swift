import Testing
@testable import RTP

/// The VP8 payload descriptor (RFC 7741 4.2) from hand-built payloads.
@Suite struct VP8PayloadDescriptorTests {
    func descriptor(_ bytes: [UInt8]) -> VP8PayloadDescriptor? {
        withBytes(bytes) { VP8PayloadDescriptor($0) }
    }

    /// X|S, then I, L, T: a 15-bit picture id 0x0123, TL0PICIDX 5, TID 1 with Y.
    @Test func allFields() throws {
        let parsed = try #require(descriptor(hex("90 E0 8123 05 60  10 02 00")))
        #expect(parsed.startsFrame)
        #expect(parsed.pictureID == 0x0123 && parsed.pictureIDBits == 15 && parsed.pictureIDOffset == 2)
        #expect(parsed.tl0PictureIndex == 5 && parsed.tl0PictureIndexOffset == 4)
        #expect(parsed.temporalLayer == 1 && parsed.layerSync)
        #expect(parsed.length == 6)
    }

    @Test func shortFormsAndAbsentFields() throws {
        // No extension byte: the payload header follows the first byte.
        let bare = try #require(descriptor(hex("10  10 02 00")))
        #expect(bare.pictureID == nil && bare.tl0PictureIndex == nil && bare.temporalLayer == nil && bare.length == 1)
        // A 7-bit picture id only; a continuation packet of partition 2.
        let short = try #require(descriptor(hex("82 80 7F  00")))
        #expect(short.pictureID == 127 && short.pictureIDBits == 7 && short.length == 3)
        #expect(!short.startsFrame && short.partitionIndex == 2)
        // K without T: the byte is there, TID is not.
        let keyIndex = try #require(descriptor(hex("90 10 1F")))
        #expect(keyIndex.temporalLayer == nil && keyIndex.length == 3)
    }

    /// Every prefix of a full descriptor is cut short: nil, never a read past the end.
    @Test func truncatedDescriptorsAreNil() {
        let full = hex("90 E0 8123 05 60")
        for count in 0..<full.count {
            #expect(descriptor(Array(full.prefix(count))) == nil, "prefix of \(count) bytes")
        }
        #expect(descriptor(full) != nil)
    }

    @Test func picturesAreRewrittenInTheirFieldsWidth() throws {
        var bytes = hex("90 C0 8123 05  10")
        bytes.withUnsafeMutableBytes { buffer in
            let parsed = VP8PayloadDescriptor(UnsafeRawBufferPointer(buffer))!
            parsed.setPictureID(0x7ABC, in: buffer)
            parsed.setTL0PictureIndex(0xFE, in: buffer)
        }
        #expect(bytes == hex("90 C0 FABC FE  10"))
        var short = hex("90 80 05  10")
        short.withUnsafeMutableBytes { buffer in
            VP8PayloadDescriptor(UnsafeRawBufferPointer(buffer))!.setPictureID(0x0185, in: buffer)
        }
        #expect(short == hex("90 80 05  10"), "cut to 7 bits: 0x185 & 0x7F")
    }
}

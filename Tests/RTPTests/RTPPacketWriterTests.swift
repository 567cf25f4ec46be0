import Testing
@testable import RTP

@Suite struct RTPPacketWriterTests {
    let header = RTPHeaderFields(payloadType: 111, marker: true, sequenceNumber: 65535, timestamp: 960, ssrc: 0xCAFE_BABE)

    func writeFull(_ out: UnsafeMutableRawBufferPointer) throws(RTPWriteError) -> Int {
        var writer = try RTPPacketWriter(into: out, header: header, csrcs: [1, 2])
        try writer.appendExtension(id: 4, value: "0".utf8)
        try writer.appendExtension(id: 3, uint16: 0xBEEF)
        try writer.appendExtension(id: 2, uint24: 0x12_3456)
        try writer.appendPayload([0xFC, 0xFF, 0xFE] as [UInt8])
        return try writer.finish(paddingLength: 4)
    }

    @Test func handCheckedBytes() throws {
        let bytes = try written { out throws(RTPWriteError) in try writeFull(out) }
        #expect(bytes == hex("""
            B2 EF FFFF 000003C0 CAFEBABE 00000001 00000002
            BEDE 0003 40 30 31 BEEF 22 123456 000000
            FCFFFE 00000004
            """))
    }

    @Test func roundTrip() throws {
        let bytes = try written { out throws(RTPWriteError) in try writeFull(out) }
        try withBytes(bytes) { buffer in
            let packet = try RTPPacket(buffer)
            #expect(packet.headerFields == header)
            #expect((0..<packet.csrcCount).map(packet.csrc(at:)) == [1, 2])
            #expect(string(packet.headerExtension(id: 4)) == "0")
            #expect(TransportSequenceNumberExtension.read(packet.headerExtension(id: 3)!) == 0xBEEF)
            #expect(AbsoluteSendTimeExtension.read(packet.headerExtension(id: 2)!) == 0x12_3456)
            #expect(Array(packet.payload) == [0xFC, 0xFF, 0xFE])
            #expect(packet.paddingLength == 4)
        }
    }

    @Test func twoByteFormRoundTrip() throws {
        let long = [UInt8](repeating: 0x5A, count: 40)
        let bytes = try written { out throws(RTPWriteError) in
            var writer = try RTPPacketWriter(into: out, header: header, extensionForm: .twoByte)
            try writer.appendExtension(id: 1, value: [] as [UInt8])
            try writer.appendExtension(id: 200, value: long)
            try writer.appendPayload([1] as [UInt8])
            return try writer.finish()
        }
        try withBytes(bytes) { buffer in
            let packet = try RTPPacket(buffer)
            #expect(packet.headerExtensions?.form == .twoByte)
            #expect(packet.headerExtension(id: 1)?.count == 0)
            #expect(packet.headerExtension(id: 200).map(Array.init) == long)
            #expect(Array(packet.payload) == [1])
        }
    }

    @Test func everyTooSmallBufferThrows() throws {
        let full = try written { out throws(RTPWriteError) in try writeFull(out) }.count
        for capacity in 0..<full {
            guard case .bufferTooSmall(_, let have)? = writeError(capacity: capacity, writeFull) else {
                Issue.record("capacity \(capacity) did not throw bufferTooSmall")
                continue
            }
            #expect(have == capacity)
        }
    }

    @Test func invalidArguments() {
        #expect(writeError(capacity: 100) { out throws(RTPWriteError) in
            var writer = try RTPPacketWriter(into: out, header: header)
            try writer.appendExtension(id: 15, value: [1] as [UInt8])
            return writer.count
        } == .extensionIDOutOfRange(15))
        #expect(writeError(capacity: 100) { out throws(RTPWriteError) in
            var writer = try RTPPacketWriter(into: out, header: header)
            try writer.appendExtension(id: 1, value: [UInt8](repeating: 0, count: 17))
            return writer.count
        } == .extensionLengthOutOfRange(17))
        #expect(writeError(capacity: 100) { out throws(RTPWriteError) in
            var writer = try RTPPacketWriter(into: out, header: header)
            try writer.appendPayload([1] as [UInt8])
            try writer.appendExtension(id: 1, value: [1] as [UInt8])
            return writer.count
        } == .invalidOrder)
        #expect(writeError(capacity: 100) { out throws(RTPWriteError) in
            try RTPPacketWriter(into: out, header: header, csrcs: Array(0..<16)).count
        } == .tooManyItems(count: 16, limit: 15))
        #expect(writeError(capacity: 100) { out throws(RTPWriteError) in
            var writer = try RTPPacketWriter(into: out, header: header)
            return try writer.finish(paddingLength: 256)
        } == .valueOutOfRange(256))
    }
}

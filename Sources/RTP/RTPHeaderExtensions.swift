/// The elements of an RTP header extension block (RFC 8285), viewed in place.
///
/// RFC 8285 section 4.2, one-byte form, profile 0xBEDE:
/// ```
///  0 1 2 3 4 5 6 7
/// +-+-+-+-+-+-+-+-+
/// |  ID   |  len  |   data is len+1 bytes; ID 0 is a padding byte, ID 15 stops parsing
/// +-+-+-+-+-+-+-+-+
/// ```
/// RFC 8285 section 4.3, two-byte form, profile 0x100 followed by 4 "appbits":
/// ```
///  0                   1
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |       ID      |     length    |   data is length bytes (may be 0); ID 0 is a padding byte
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
/// Any other profile is opaque (RFC 3550 section 5.3.1): it has no elements.
public struct RTPHeaderExtensions: Sequence {
    public enum Form: Sendable, Equatable {
        /// RFC 8285 section 4.2: ids 1-14, 1-16 bytes of data.
        case oneByte
        /// RFC 8285 section 4.3: ids 1-255, 0-255 bytes of data.
        case twoByte

        /// The "defined by profile" value that announces this form.
        public var profile: UInt16 { self == .oneByte ? 0xBEDE : 0x1000 }
    }

    /// One element: its id and where its value lies in the packet.
    public struct Element {
        public let id: UInt8
        /// Offsets of the value in the packet's `bytes`.
        public let range: Range<Int>
        public let value: UnsafeRawBufferPointer
    }

    /// The 16-bit "defined by profile" field.
    public let profile: UInt16
    /// The extension data, after the 4-byte profile/length word.
    public let data: UnsafeRawBufferPointer
    /// Where `data` starts in the packet, so element ranges are packet offsets.
    public let baseOffset: Int

    /// The RFC 8285 form announced by `profile`, or nil for a non-RFC 8285 extension.
    public var form: Form? { Self.form(of: profile) }

    static func form(of profile: UInt16) -> Form? {
        if profile == 0xBEDE { return .oneByte }
        if profile & 0xFFF0 == 0x1000 { return .twoByte }
        return nil
    }

    /// Checks that every element fits inside the block, so iteration needs no error path.
    static func validate(profile: UInt16, data: UnsafeRawBufferPointer, baseOffset: Int) throws(RTPParseError) {
        guard let form = form(of: profile) else { return }
        var offset = 0
        while offset < data.count {
            let byte = data[offset]
            switch form {
            case .oneByte:
                if byte >> 4 == 0 { offset += 1; continue }  // ID 0: a padding byte
                if byte >> 4 == 15 { return }
                let end = offset + 1 + Int(byte & 0x0F) + 1
                guard end <= data.count else { throw .malformedExtensionElement(offset: baseOffset + offset) }
                offset = end
            case .twoByte:
                if byte == 0 { offset += 1; continue }
                guard offset + 2 <= data.count else { throw .malformedExtensionElement(offset: baseOffset + offset) }
                let end = offset + 2 + Int(data[offset + 1])
                guard end <= data.count else { throw .malformedExtensionElement(offset: baseOffset + offset) }
                offset = end
            }
        }
    }

    public struct Iterator: IteratorProtocol {
        let form: Form?
        let data: UnsafeRawBufferPointer
        let baseOffset: Int
        var offset = 0

        public mutating func next() -> Element? {
            guard let form else { return nil }
            while offset < data.count {
                let byte = data[offset]
                // RFC 8285 4.2/4.3: ID 0 is a single padding byte between elements.
                if byte == 0 || (form == .oneByte && byte >> 4 == 0) { offset += 1; continue }
                let id: UInt8
                let start: Int
                let length: Int
                switch form {
                case .oneByte:
                    if byte >> 4 == 15 { offset = data.count; return nil }  // RFC 8285 4.2: stop
                    id = byte >> 4
                    start = offset + 1
                    length = Int(byte & 0x0F) + 1
                case .twoByte:
                    id = byte
                    start = offset + 2
                    length = Int(data[offset + 1])
                }
                offset = start + length
                return Element(id: id, range: (baseOffset + start)..<(baseOffset + offset), value: data.slice(start..<offset))
            }
            return nil
        }
    }

    public func makeIterator() -> Iterator {
        Iterator(form: form, data: data, baseOffset: baseOffset)
    }

    /// The first element with `id`, if any.
    public func element(id: UInt8) -> Element? {
        for element in self where element.id == id { return element }
        return nil
    }

    /// The value of the first element with `id`, if any.
    public func value(id: UInt8) -> UnsafeRawBufferPointer? {
        element(id: id)?.value
    }
}

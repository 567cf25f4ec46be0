/// Readers and writers for the values of the well-known header extensions
/// (see `RTPHeaderExtensionURI`). Each works on the element's value bytes as returned by
/// `RTPPacket.headerExtension(id:)` or `RTPRewriter.extensionValue(id:)`.

/// The transport-wide sequence number: 16 bits, big-endian
/// (draft-holmer-rmcat-transport-wide-cc-extensions-01 section 2).
public enum TransportSequenceNumberExtension {
    public static let length = 2

    public static func read(_ value: UnsafeRawBufferPointer) -> UInt16? {
        value.count >= 2 ? value.uint16(at: 0) : nil
    }

    /// Overwrites the value in place; false if the element is too short.
    @discardableResult
    public static func write(_ sequenceNumber: UInt16, into value: UnsafeMutableRawBufferPointer) -> Bool {
        guard value.count >= 2 else { return false }
        value.setUInt16(sequenceNumber, at: 0)
        return true
    }
}

/// abs-send-time: the sender's clock when the packet left, 24 bits, 6.18 fixed-point seconds,
/// i.e. bits 14...37 of the NTP timestamp; it wraps every 64 s.
public enum AbsoluteSendTimeExtension {
    public static let length = 3

    public static func read(_ value: UnsafeRawBufferPointer) -> UInt32? {
        value.count >= 3 ? value.uint24(at: 0) : nil
    }

    @discardableResult
    public static func write(_ absSendTime: UInt32, into value: UnsafeMutableRawBufferPointer) -> Bool {
        guard value.count >= 3 else { return false }
        value.setUInt24(absSendTime, at: 0)
        return true
    }

    /// The 24-bit value for an NTP time: 6 bits of seconds, 18 of fraction.
    public static func value(from time: NTPTime) -> UInt32 {
        UInt32(truncatingIfNeeded: time.rawValue >> 14) & 0xFF_FFFF
    }

    /// The value in microseconds, in 0 ..< 64 s.
    public static func microseconds(_ absSendTime: UInt32) -> Int64 {
        (Int64(absSendTime & 0xFF_FFFF) * 1_000_000) >> 18
    }
}

/// Client-to-mixer audio level (RFC 6464 section 3): V flag, then the level in -dBov (0...127).
public enum AudioLevelExtension {
    public static func read(_ value: UnsafeRawBufferPointer) -> (voiceActivity: Bool, level: UInt8)? {
        guard let byte = value.first else { return nil }
        return (byte & 0x80 != 0, byte & 0x7F)
    }

    public static func byte(voiceActivity: Bool, level: UInt8) -> UInt8 {
        (voiceActivity ? 0x80 : 0) | min(level, 127)
    }
}

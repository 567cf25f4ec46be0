/// The ChannelData message (RFC 8656 12.4): a 4-byte header (channel number, length) and the
/// application data, TURN's low-overhead alternative to Send and Data indications.
public enum ChannelData {
    public static let headerLength = 4
    /// RFC 8656 12 lets clients bind 0x4000 through 0x4FFF, but RFC 5766 11 allowed 0x4000 through
    /// 0x7FFF and RFC 5766 clients (coturn's turnutils among them) still pick from there.
    public static let validNumbers: ClosedRange<UInt16> = 0x4000...0x7FFF

    /// True when the first byte says ChannelData: its top two bits are 01 (RFC 7983 7).
    @inlinable
    public static func isChannelData(firstByte: UInt8) -> Bool { firstByte & 0xC0 == 0x40 }

    /// Channel number and data length from the first 4 bytes.
    @inlinable
    public static func header(_ b0: UInt8, _ b1: UInt8, _ b2: UInt8, _ b3: UInt8) -> (channel: UInt16, length: Int) {
        (UInt16(b0) << 8 | UInt16(b1), Int(UInt16(b2) << 8 | UInt16(b3)))
    }

    /// Over TCP and TLS a ChannelData message is padded to a multiple of 4 bytes (RFC 8656 12.5).
    @inlinable
    public static func streamLength(dataLength: Int) -> Int { headerLength + ((dataLength + 3) & ~3) }
}

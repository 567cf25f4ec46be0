/// Resource limits the parser enforces before and while it reads a session description.
///
/// SDP arrives from untrusted peers through signalling. RFC 8866 sets no size limits, so a
/// hostile peer could otherwise make us allocate or loop in proportion to whatever it sends.
/// The defaults are far above anything a browser produces: a Chromium offer with audio, video
/// and a data channel is about 6 KiB, its largest m-section has about 150 attributes and its
/// longest line (the video m= line) about 120 bytes.
public struct SDPLimits: Hashable, Sendable {
    /// Whole description, in UTF-8 bytes (checked before anything else is done).
    public var maxBytes: Int
    /// One line, in bytes, without its line ending.
    public var maxLineLength: Int
    /// Number of m= sections.
    public var maxMediaSections: Int
    /// Attributes (a= lines) at session level, and in each m= section.
    public var maxAttributesPerSection: Int
    /// Formats on one m= line. RTP payload types are 7 bits (RFC 3550 5.1), so 128 covers them all.
    public var maxFormatsPerMedia: Int

    public init(
        maxBytes: Int = 64 * 1024,
        maxLineLength: Int = 4 * 1024,
        maxMediaSections: Int = 128,
        maxAttributesPerSection: Int = 512,
        maxFormatsPerMedia: Int = 128
    ) {
        self.maxBytes = maxBytes
        self.maxLineLength = maxLineLength
        self.maxMediaSections = maxMediaSections
        self.maxAttributesPerSection = maxAttributesPerSection
        self.maxFormatsPerMedia = maxFormatsPerMedia
    }

    public static let `default` = SDPLimits()
}

/// H.264 fmtp parameters that decide compatibility (RFC 6184 8.1, 8.2.2).
///
/// `profile-level-id` is three bytes: profile_idc, profile-iop (the constraint_set flags) and
/// level_idc. Two formats are compatible when they have the same *profile* (derived from
/// profile_idc and the constraint flags, so 42e01f Constrained Baseline differs from 42001f
/// Baseline) and the same `packetization-mode` (RFC 6184 8.2.2: it is not negotiable).
/// The level may differ: it is answered as described in `answerLevel`.
public struct H264Parameters: Hashable, Sendable {
    public enum Profile: Hashable, Sendable {
        case constrainedBaseline, baseline, main, extended, high, constrainedHigh, high10, high422, high444
        case predictiveHigh444
    }

    public var profile: Profile?
    /// level_idc, with level 1b reported as 0 (RFC 6184 8.1: 1b is level_idc 11 + constraint_set3).
    public var level: UInt8?
    public var profileLevelID: String?
    public var packetizationMode: Int
    public var levelAsymmetryAllowed: Bool

    /// RFC 6184 8.1: a missing profile-level-id means 420010 (Baseline, level 1), a missing
    /// packetization-mode means 0 (single NAL unit).
    public init(_ parameters: FormatParameters) {
        let id = parameters["profile-level-id"] ?? "420010"
        profileLevelID = id
        if let parsed = Self.parse(profileLevelID: id) {
            profile = parsed.profile
            level = parsed.level
        }
        packetizationMode = parameters["packetization-mode"].flatMap { SDPToken.decimal(Substring($0)) } ?? 0
        levelAsymmetryAllowed = parameters["level-asymmetry-allowed"] == "1"
    }

    /// Compatible for one direction of media: equal profile and packetization mode.
    public func isCompatible(with other: H264Parameters) -> Bool {
        guard let profile, profile == other.profile else { return false }
        return packetizationMode == other.packetizationMode
    }

    /// The level to put in an answer (RFC 6184 8.2.2): with level-asymmetry-allowed on both
    /// sides each side declares the level it can receive, so we keep ours; otherwise both must
    /// use the lower of the two.
    public static func answerLevel(offer: H264Parameters, local: H264Parameters) -> UInt8? {
        guard let o = offer.level, let l = local.level else { return offer.level ?? local.level }
        if offer.levelAsymmetryAllowed && local.levelAsymmetryAllowed { return l }
        return order(o) <= order(l) ? o : l
    }

    /// Level 1b (0 here) sits between 1.0 (10) and 1.1 (11).
    static func order(_ level: UInt8) -> Double { level == 0 ? 10.5 : Double(level) }

    /// Profile patterns from the H.264 spec Annex A as used by RFC 6184 8.1 (table 5):
    /// (profile_idc, mask of constraint bits that matter, their required values).
    private static let patterns: [(idc: UInt8, mask: UInt8, value: UInt8, profile: Profile)] = [
        (0x42, 0x40, 0x40, .constrainedBaseline),  // x1xx0000
        (0x4D, 0x80, 0x80, .constrainedBaseline),  // 1xxx0000
        (0x58, 0xC0, 0xC0, .constrainedBaseline),  // 11xx0000
        (0x42, 0x40, 0x00, .baseline),  // x0xx0000
        (0x58, 0xC0, 0x80, .baseline),  // 10xx0000
        (0x4D, 0xA0, 0x00, .main),  // 0x0x0000
        (0x58, 0xC0, 0x00, .extended),  // 00xx0000
        (0x64, 0xFF, 0x00, .high),  // 00000000
        (0x64, 0xFF, 0x0C, .constrainedHigh),  // 00001100
        (0x6E, 0xFF, 0x00, .high10),
        (0x7A, 0xFF, 0x00, .high422),
        (0xF4, 0xFF, 0x00, .predictiveHigh444),
    ]

    static func parse(profileLevelID: String) -> (profile: Profile, level: UInt8)? {
        guard profileLevelID.utf8.count == 6, let value = UInt32(profileLevelID, radix: 16) else { return nil }
        let idc = UInt8(value >> 16)
        let iop = UInt8((value >> 8) & 0xFF)
        var level = UInt8(value & 0xFF)
        // The low four constraint bits are reserved and must be zero in every pattern above,
        // except that constraint_set3 (0x10) signals level 1b when level_idc is 11.
        guard iop & 0x0F == 0 || idc == 0x64 else { return nil }
        guard let match = patterns.first(where: { $0.idc == idc && iop & ($0.mask | 0x0F) == $0.value })
        else { return nil }
        if level == 11 && iop & 0x10 != 0 && [.baseline, .constrainedBaseline, .main].contains(match.profile) {
            level = 0
        }
        return (match.profile, level)
    }

    /// profile-level-id with another level, keeping profile_idc and the constraint flags.
    public static func profileLevelID(_ id: String, withLevel level: UInt8) -> String {
        guard id.utf8.count == 6, var value = UInt32(id, radix: 16) else { return id }
        var iop = (value >> 8) & 0xFF
        var idc = level
        if level == 0 {
            // Level 1b: level_idc 11 with constraint_set3 (RFC 6184 8.1).
            idc = 11
            iop |= 0x10
        } else if level == 11 {
            iop &= ~0x10
        }
        value = (value & 0xFF0000) | (iop << 8) | UInt32(idc)
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 6 - hex.count)) + hex
    }
}

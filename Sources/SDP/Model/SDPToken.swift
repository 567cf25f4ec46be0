/// Small lexical helpers for the RFC 8866 9 grammar, shared by the parser and the attribute types.
enum SDPToken {
    /// token-char = %x21 / %x23-27 / %x2A-2B / %x2D-2E / %x30-39 / %x41-5A / %x5E-7E (RFC 8866 9).
    static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case 0x21, 0x23...0x27, 0x2A...0x2B, 0x2D...0x2E, 0x30...0x39, 0x41...0x5A, 0x5E...0x7E: true
        default: false
        }
    }

    static func isToken(_ s: Substring) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy(isTokenByte)
    }

    static func isToken(_ s: String) -> Bool { isToken(Substring(s)) }

    /// Non-empty and only visible characters (no space, no controls): for fields whose grammar
    /// is wider than `token`, such as URIs and IPv6 addresses.
    static func isVisible(_ s: Substring) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { $0 > 0x20 && $0 != 0x7F }
    }

    /// Decimal digits only: Swift's `Int("+1")` and `Int("-0")` would otherwise accept signs.
    static func decimal<T: FixedWidthInteger>(_ s: Substring) -> T? {
        guard !s.isEmpty, s.utf8.count <= 20, s.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return T(s)
    }

    /// Splits on runs of spaces, tolerating the double spaces some implementations emit.
    static func words(_ s: Substring) -> [Substring] {
        s.split(separator: " ", omittingEmptySubsequences: true)
    }

    static func trimmed(_ s: Substring) -> Substring {
        var s = s
        while s.first == " " || s.first == "\t" { s.removeFirst() }
        while s.last == " " || s.last == "\t" { s.removeLast() }
        return s
    }
}

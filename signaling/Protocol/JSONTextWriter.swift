/// Compact JSON text (RFC 8259) written by hand into one growing `String`.
///
/// Every server message, and every line of the JSON log, goes through here. Foundation's
/// `JSONEncoder` took most of the server's CPU in a join storm (each `participant-joined` to every
/// participant, each `joined` listing the whole room: O(N^2) messages): it boxes every value in
/// generic containers and dictionaries before writing a byte. `JSONValue` is already the tree to
/// write, so this walks it once.
enum JSONTextWriter {
    /// `value` as compact JSON: object keys sorted (stable output for logs and tests), slashes
    /// not escaped (SDP's `opus/48000/2` stays readable), integers exact, other numbers in
    /// Swift's shortest round-tripping form (`7.0` written `7`).
    static func append(_ value: JSONValue, to out: inout String) {
        switch value {
        case .null:
            out += "null"
        case .bool(let flag):
            out += flag ? "true" : "false"
        case .integer(let number):
            out += String(number)
        case .number(let number):
            // RFC 8259 6 has no NaN or infinity; the protocol never produces one.
            precondition(number.isFinite, "JSON has no non-finite numbers")
            var text = number.description
            if text.hasSuffix(".0") { text.removeLast(2) }
            out += text
        case .string(let text):
            appendQuoted(text, to: &out)
        case .array(let elements):
            out.unicodeScalars.append("[")
            for (index, element) in elements.enumerated() {
                if index > 0 { out.unicodeScalars.append(",") }
                append(element, to: &out)
            }
            out.unicodeScalars.append("]")
        case .object(let members):
            out.unicodeScalars.append("{")
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { out.unicodeScalars.append(",") }
                appendQuoted(key, to: &out)
                out.unicodeScalars.append(":")
                append(members[key]!, to: &out)
            }
            out.unicodeScalars.append("}")
        }
    }

    /// `text` as a JSON string literal (RFC 8259 7): quote, backslash and control characters
    /// escaped, and U+2028/U+2029, which JavaScript source does not allow raw.
    static func appendQuoted(_ text: String, to out: inout String) {
        out.unicodeScalars.append("\"")
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default:
                if scalar.value < 0x20 {
                    out += "\\u00"
                    out.unicodeScalars.append(hexDigit(scalar.value >> 4))
                    out.unicodeScalars.append(hexDigit(scalar.value & 0xF))
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out.unicodeScalars.append("\"")
    }

    private static func hexDigit(_ value: UInt32) -> Unicode.Scalar {
        Unicode.Scalar(UInt8(value < 10 ? 0x30 + value : 0x61 + value - 10))
    }
}

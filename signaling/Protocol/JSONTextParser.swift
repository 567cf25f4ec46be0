/// JSON text (RFC 8259) read straight into a `JSONValue`, in one pass over the UTF-8 bytes.
///
/// Every client message, token payload and configuration file comes through here. Foundation's
/// `JSONDecoder` has no "what is this value?" call, so reading an untyped tree through it meant
/// trying each kind in turn, a thrown error per wrong guess, for every value; a load participant
/// reading a join storm's hundreds of room events spent its core on that. The parser is strict:
/// what RFC 8259 does not allow (a trailing comma, a leading zero, a raw control character in
/// a string, an unpaired surrogate escape, anything after the value) is an error, and nesting
/// deeper than `maximumDepth` is refused before it can exhaust the stack.
struct JSONTextParser {
    struct Failure: Error, Equatable, CustomStringConvertible {
        /// Byte offset of the problem.
        var offset: Int
        var reason: String
        var description: String { "\(reason) at byte \(offset)" }
    }

    static let maximumDepth = 128

    static func parse(_ bytes: some Collection<UInt8>) throws(Failure) -> JSONValue {
        let array = Array(bytes)
        var parser = JSONTextParser(bytes: array)
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.index == array.count else { throw Failure(offset: parser.index, reason: "unexpected text after the value") }
        return value
    }

    private let bytes: [UInt8]
    private var index = 0

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private func fail(_ reason: String) -> Failure { Failure(offset: index, reason: reason) }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }

    private mutating func expect(_ literal: StaticString, _ value: JSONValue) throws(Failure) -> JSONValue {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count,
              literal.withUTF8Buffer({ $0.elementsEqual(bytes[index..<index + count]) })
        else { throw fail("invalid literal") }
        index += count
        return value
    }

    private mutating func value(depth: Int) throws(Failure) -> JSONValue {
        guard let byte = current else { throw fail("unexpected end of text") }
        switch byte {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try expect("true", .bool(true))
        case UInt8(ascii: "f"): return try expect("false", .bool(false))
        case UInt8(ascii: "n"): return try expect("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw fail("unexpected character")
        }
    }

    private mutating func object(depth: Int) throws(Failure) -> JSONValue {
        guard depth <= Self.maximumDepth else { throw fail("nested deeper than \(Self.maximumDepth)") }
        index += 1  // {
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            index += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw fail("expected a string key") }
            let key = try string()
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw fail("expected ':'") }
            index += 1
            skipWhitespace()
            members[key] = try value(depth: depth)
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"): index += 1; return .object(members)
            default: throw fail("expected ',' or '}'")
            }
        }
    }

    private mutating func array(depth: Int) throws(Failure) -> JSONValue {
        guard depth <= Self.maximumDepth else { throw fail("nested deeper than \(Self.maximumDepth)") }
        index += 1  // [
        var elements: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            index += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try value(depth: depth))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"): index += 1; return .array(elements)
            default: throw fail("expected ',' or ']'")
            }
        }
    }

    /// A string, the index on its opening quote (RFC 8259 7).
    private mutating func string() throws(Failure) -> String {
        index += 1  // "
        let start = index
        // The common case, no escapes: one validating UTF-8 decode of the run.
        while let byte = current, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
            guard byte >= 0x20 else { throw fail("control character in a string") }
            index += 1
        }
        guard let stop = current else { throw fail("unterminated string") }
        guard let run = String(validating: bytes[start..<index], as: UTF8.self) else {
            throw Failure(offset: start, reason: "invalid UTF-8 in a string")
        }
        if stop == UInt8(ascii: "\"") {
            index += 1
            return run
        }
        var text = run
        var pending: [UInt8] = []
        while true {
            guard let byte = current else { throw fail("unterminated string") }
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                if !pending.isEmpty {
                    guard let piece = String(validating: pending, as: UTF8.self) else { throw fail("invalid UTF-8 in a string") }
                    text += piece
                    pending.removeAll(keepingCapacity: true)
                }
                if byte == UInt8(ascii: "\"") {
                    index += 1
                    return text
                }
                text.unicodeScalars.append(try escape())
            } else {
                guard byte >= 0x20 else { throw fail("control character in a string") }
                pending.append(byte)
                index += 1
            }
        }
    }

    /// One escape, the index on its backslash.
    private mutating func escape() throws(Failure) -> Unicode.Scalar {
        index += 1
        guard let byte = current else { throw fail("unterminated escape") }
        index += 1
        switch byte {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            let unit = try hexQuad()
            if (0xD800...0xDBFF).contains(unit) {
                // A high surrogate must be followed by an escaped low one (RFC 8259 7).
                guard current == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") else {
                    throw fail("unpaired surrogate")
                }
                index += 2
                let low = try hexQuad()
                guard (0xDC00...0xDFFF).contains(low) else { throw fail("unpaired surrogate") }
                return Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))!
            }
            guard let scalar = Unicode.Scalar(unit) else { throw fail("unpaired surrogate") }
            return scalar
        default:
            throw fail("invalid escape")
        }
    }

    private mutating func hexQuad() throws(Failure) -> UInt32 {
        guard index + 4 <= bytes.count else { throw fail("short \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw fail("invalid \\u escape")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    /// A number (RFC 8259 6): an integer that fits 64 bits stays exact, anything else is a Double.
    private mutating func number() throws(Failure) -> JSONValue {
        let start = index
        if current == UInt8(ascii: "-") { index += 1 }
        guard let first = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { throw fail("invalid number") }
        index += 1
        if first != UInt8(ascii: "0") { skipDigits() }
        var integral = true
        if current == UInt8(ascii: ".") {
            integral = false
            index += 1
            guard try digitsFollow() else { throw fail("invalid number") }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            integral = false
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            guard try digitsFollow() else { throw fail("invalid number") }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if integral, let exact = Int64(text) { return .integer(exact) }
        guard let double = Double(text), double.isFinite else { throw Failure(offset: start, reason: "number out of range") }
        return .number(double)
    }

    private mutating func skipDigits() {
        while let byte = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { index += 1 }
    }

    private mutating func digitsFollow() throws(Failure) -> Bool {
        let start = index
        skipDigits()
        return index > start
    }
}

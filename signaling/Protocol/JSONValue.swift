import Foundation

/// Any JSON value (RFC 8259), kept as parsed so that the room protocol's decoder can say exactly
/// which field is missing or of the wrong type, and the configuration loader can refuse unknown
/// keys. Read by `JSONTextParser` and written by `JSONTextWriter`; also `Codable`, for values
/// embedded in other Codable types.
public enum JSONValue: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    /// A number written without fraction or exponent that fits 64 bits, kept exact so that an
    /// `id` of 7 is echoed as 7, not 7.0.
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
            return
        }
        // Type probes: JSONDecoder has no "what is this?" call, so each kind is tried in turn and
        // a type mismatch is the expected answer, not a failure to report. Bool comes first:
        // swift-foundation's decoder refuses to read 0/1 as Bool, so numbers never land here.
        if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            // The last kind is decoded with `try`, so a malformed document reports its error.
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// The name of this value's JSON type, for error messages ("expected a string, got a number").
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .integer, .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    public var stringValue: String? {
        if case .string(let value) = self { value } else { nil }
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { value } else { nil }
    }

    /// An integer, also from a number with a zero fraction (`1.0`): JSON does not tell them apart.
    public var integerValue: Int64? {
        switch self {
        case .integer(let value): value
        case .number(let value) where value.rounded() == value && abs(value) < 9.0e15: Int64(value)
        default: nil
        }
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { value } else { nil }
    }

    public var objectValue: [String: JSONValue]? {
        if case .object(let value) = self { value } else { nil }
    }

    public subscript(key: String) -> JSONValue? {
        objectValue?[key]
    }

    /// Compact JSON text with sorted keys (stable output for logs and tests) and unescaped
    /// slashes (SDP's `opus/48000/2` stays readable); `JSONTextWriter` says why not JSONEncoder.
    public func jsonText() -> String {
        var text = ""
        JSONTextWriter.append(self, to: &text)
        return text
    }

    /// Parses JSON text (`JSONTextParser`: strict RFC 8259, nesting at most 128 deep); the
    /// error says where and why, for the caller to map.
    public static func parse(_ data: Data) throws -> JSONValue {
        try JSONTextParser.parse(data)
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

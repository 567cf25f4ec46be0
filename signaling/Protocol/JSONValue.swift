import Foundation

/// Any JSON value (RFC 8259), kept as parsed so that the room protocol's decoder can say exactly
/// which field is missing or of the wrong type, and the configuration loader can refuse unknown
/// keys. Read by `JSONTextParser` and written by `JSONTextWriter`.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// A number written without fraction or exponent that fits 64 bits, kept exact so that an
    /// `id` of 7 is echoed as 7, not 7.0.
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

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

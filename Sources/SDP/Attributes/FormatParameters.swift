/// One `key=value` item of an fmtp line or a rid restriction. Items without `=` (RED's
/// `111/111`, telephone-event's `0-15`) have a nil value.
public struct FormatParameter: Hashable, Sendable {
    public var key: String
    public var value: String?

    public init(_ key: String, _ value: String? = nil) {
        self.key = key
        self.value = value
    }

    init?(parsing item: Substring) {
        let item = SDPToken.trimmed(item)
        guard !item.isEmpty else { return nil }
        if let eq = item.firstIndex(of: "=") {
            let key = SDPToken.trimmed(item[..<eq])
            guard !key.isEmpty else { return nil }
            self.init(String(key), String(SDPToken.trimmed(item[item.index(after: eq)...])))
        } else {
            self.init(String(item))
        }
    }

    var text: String { value.map { "\(key)=\($0)" } ?? key }
}

/// The parameter list of an fmtp line (RFC 8866 6.15), in order, looked up by key.
///
/// Keys compare case-insensitively: RFC 6184 and RFC 7587 define them as case-insensitive
/// MIME parameters.
public struct FormatParameters: Hashable, Sendable, ExpressibleByDictionaryLiteral {
    public var items: [FormatParameter]

    public init(_ items: [FormatParameter] = []) { self.items = items }

    public init(dictionaryLiteral elements: (String, String)...) {
        items = elements.map { FormatParameter($0.0, $0.1) }
    }

    /// Splits `a=b;c=d` (tolerating spaces after `;`).
    public init?(parsing text: Substring) {
        var items: [FormatParameter] = []
        for part in text.split(separator: ";", omittingEmptySubsequences: true) {
            if SDPToken.trimmed(part).isEmpty { continue }
            guard let p = FormatParameter(parsing: part) else { return nil }
            items.append(p)
        }
        self.init(items)
    }

    public var isEmpty: Bool { items.isEmpty }

    public subscript(key: String) -> String? {
        get { items.first { $0.key.lowercased() == key.lowercased() }?.value }
        set {
            if let i = items.firstIndex(where: { $0.key.lowercased() == key.lowercased() }) {
                if let newValue { items[i].value = newValue } else { items.remove(at: i) }
            } else if let newValue {
                items.append(FormatParameter(key, newValue))
            }
        }
    }

    public var text: String { items.map(\.text).joined(separator: ";") }
}

/// `a=fmtp` (RFC 8866 6.15): format-specific parameters of one payload type.
public struct FMTP: Hashable, Sendable {
    public var payloadType: UInt8
    public var parameters: FormatParameters

    public init(payloadType: UInt8, parameters: FormatParameters) {
        self.payloadType = payloadType
        self.parameters = parameters
    }

    init?(attributeValue value: Substring) {
        let value = SDPToken.trimmed(value)
        let space = value.firstIndex(of: " ") ?? value.endIndex
        guard let pt: UInt8 = SDPToken.decimal(value[..<space]), pt <= 127,
            let parameters = FormatParameters(parsing: value[space...])
        else { return nil }
        self.init(payloadType: pt, parameters: parameters)
    }

    public var attributeValue: String { "\(payloadType) \(parameters.text)" }
}

/// The optional `id` of a client message, echoed in the reply (docs/signaling.md, "Connection"):
/// a string or a number, returned exactly as it came.
public enum MessageID: Sendable, Hashable {
    case string(String)
    case integer(Int64)
    case number(Double)

    /// nil for a value that is neither a string nor a number.
    init?(_ value: JSONValue) {
        switch value {
        case .string(let text): self = .string(text)
        case .integer(let number): self = .integer(number)
        case .number(let number): self = .number(number)
        default: return nil
        }
    }

    var jsonValue: JSONValue {
        switch self {
        case .string(let text): .string(text)
        case .integer(let number): .integer(number)
        case .number(let number): .number(number)
        }
    }
}

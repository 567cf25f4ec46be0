/// `a=rtcp-fb` (RFC 4585 4.2): a feedback message type for one payload type or all (`*`).
public struct RTCPFeedback: Hashable, Sendable {
    /// nil for the `*` wildcard.
    public var payloadType: UInt8?
    public var type: String
    public var parameter: String?

    public init(payloadType: UInt8? = nil, type: String, parameter: String? = nil) {
        self.payloadType = payloadType
        self.type = type
        self.parameter = parameter
    }

    /// Generic NACK (RFC 4585 6.2.1).
    public static let nack = RTCPFeedback(type: "nack")
    /// Picture Loss Indication (RFC 4585 6.3.1).
    public static let pli = RTCPFeedback(type: "nack", parameter: "pli")
    /// Full Intra Request (RFC 5104 3.5.1).
    public static let fir = RTCPFeedback(type: "ccm", parameter: "fir")
    /// Receiver Estimated Max Bitrate (draft-alvestrand-rmcat-remb).
    public static let remb = RTCPFeedback(type: "goog-remb")
    /// Transport-wide congestion control (draft-holmer-rmcat-transport-wide-cc-extensions).
    public static let transportCC = RTCPFeedback(type: "transport-cc")

    /// The same message type bound to another payload type, or to none.
    public func with(payloadType: UInt8?) -> RTCPFeedback {
        RTCPFeedback(payloadType: payloadType, type: type, parameter: parameter)
    }

    /// Same message type and parameter, whatever the payload type.
    public func sameKind(as other: RTCPFeedback) -> Bool {
        type.lowercased() == other.type.lowercased() && parameter?.lowercased() == other.parameter?.lowercased()
    }

    init?(attributeValue value: Substring) {
        let words = SDPToken.words(value)
        guard words.count >= 2, words.allSatisfy(SDPToken.isVisible) else { return nil }
        var pt: UInt8?
        if words[0] != "*" {
            guard let n: UInt8 = SDPToken.decimal(words[0]), n <= 127 else { return nil }
            pt = n
        }
        let rest = words.dropFirst(2)
        self.init(payloadType: pt, type: String(words[1]), parameter: rest.isEmpty ? nil : rest.joined(separator: " "))
    }

    public var attributeValue: String {
        (payloadType.map(String.init) ?? "*") + " " + type + (parameter.map { " \($0)" } ?? "")
    }
}

/// A transport setting that cannot be used, with the offending value.
public enum TransportConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownSRTPProfile(String)
    case emptySRTPProfileList
    case invalidPortRange(String)
    case invalidAddress(String)

    public var description: String {
        switch self {
        case .unknownSRTPProfile(let name):
            "unknown SRTP profile '\(name)' (known: \(SRTPProfile.allCases.map(\.rawValue).joined(separator: ", ")))"
        case .emptySRTPProfileList: "the SRTP profile list is empty"
        case .invalidPortRange(let text): "invalid port range '\(text)': expected LOW-HIGH with 1 <= LOW <= HIGH <= 65535"
        case .invalidAddress(let text): "invalid IP address '\(text)'"
        }
    }
}

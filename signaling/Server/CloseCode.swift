/// WebSocket close status codes the session uses (RFC 6455 7.4.1).
struct CloseCode: Equatable, Sendable {
    let value: UInt16

    /// The session ended as agreed (`leave`, or the SFU ended it).
    static let normal = CloseCode(value: 1000)
    /// The server is going down.
    static let goingAway = CloseCode(value: 1001)
    /// A frame sequence RFC 6455 5.4 forbids.
    static let protocolError = CloseCode(value: 1002)
    /// Rate limit, token refused, join or idle timeout: "policy violation", the generic code.
    static let policyViolation = CloseCode(value: 1008)
    /// A message over the size limit.
    static let messageTooLarge = CloseCode(value: 1009)

    /// The close code after a fatal error `code`.
    static func after(_ code: ErrorCode) -> CloseCode {
        switch code {
        case .messageTooLarge: .messageTooLarge
        case .shuttingDown: .goingAway
        default: .policyViolation
        }
    }
}

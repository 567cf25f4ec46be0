/// A client message the server refuses before acting on it: what the `error` reply says.
public struct ProtocolViolation: Error, Equatable, Sendable, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String
    /// The message's `id` when it could be read, so the error can still be matched to the request.
    public var id: MessageID?

    public init(_ code: ErrorCode, _ message: String, id: MessageID? = nil) {
        self.code = code
        self.message = message
        self.id = id
    }

    public var description: String { "\(code): \(message)" }
}

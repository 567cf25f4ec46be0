/// Why a join token was refused; `code` is the protocol's error code.
public enum TokenError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `join` without a token, or an empty one.
    case missing
    /// Malformed, bad signature, wrong algorithm, unknown key, not yet valid, bad claims.
    case invalid(String)
    /// `exp` is in the past (beyond the leeway).
    case expired

    public var code: ErrorCode {
        switch self {
        case .missing: .tokenMissing
        case .invalid: .tokenInvalid
        case .expired: .tokenExpired
        }
    }

    public var description: String {
        switch self {
        case .missing: "join needs a token"
        case .invalid(let why): "invalid token: \(why)"
        case .expired: "the token has expired"
        }
    }
}

/// Why a token could not be minted.
public struct TokenIssueError: Error, Equatable, Sendable, CustomStringConvertible {
    public var reason: String

    public init(_ reason: String) { self.reason = reason }

    public var description: String { "cannot issue token: \(reason)" }
}

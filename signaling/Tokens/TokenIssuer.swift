import Foundation
import JWTKit
import SFU

/// Mints join tokens: HS256 JWTs (RFC 7519, RFC 7518 3.2) with header `kid` = API key.
/// Used by `sfu token` and the development endpoint `/dev/token`; applications mint their own.
public struct TokenIssuer: Sendable {
    public let key: APIKey
    private let keys: JWTKeyCollection

    public init(key: APIKey) async {
        self.key = key
        self.keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: key.secret), digestAlgorithm: .sha256, kid: JWKIdentifier(string: key.id))
    }

    /// A token for `identity` in `room`, valid from `now` for `ttl`.
    public func mint(room: String, identity: String, name: String? = nil, grants: Grants, ttl: Duration = .seconds(3600),
                     now: Date = Date()) async throws(TokenIssueError) -> String {
        guard ttl > .zero else { throw TokenIssueError("the lifetime must be positive") }
        // NumericDate may carry fractions (RFC 7519 2), but whole seconds read better and are
        // what every other issuer writes.
        let issuedAt = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        let claims = JoinClaims(apiKey: key.id, identity: identity, name: name, room: room,
                                expiresAt: issuedAt.addingTimeInterval(Double(ttl.components.seconds)),
                                notBefore: issuedAt, issuedAt: issuedAt, grants: grants)
        if let problem = JoinClaims.contentProblem(claims) { throw TokenIssueError(problem) }
        do {
            return try await keys.sign(claims, kid: JWKIdentifier(string: key.id))
        } catch {
            throw TokenIssueError(String(describing: error))
        }
    }
}

extension JoinClaims {
    /// Limits on the claims' strings, shared by issuer and verifier so that a token this server
    /// mints is one it accepts: identity and room 1 to 256 bytes, name at most 256.
    public static let maximumFieldBytes = 256

    static func contentProblem(_ claims: JoinClaims) -> String? {
        if claims.identity.isEmpty || claims.identity.utf8.count > maximumFieldBytes {
            return "the identity (sub) must be 1 to \(maximumFieldBytes) bytes"
        }
        if claims.room.isEmpty || claims.room.utf8.count > maximumFieldBytes {
            return "the room must be 1 to \(maximumFieldBytes) bytes"
        }
        if let name = claims.name, name.utf8.count > maximumFieldBytes {
            return "the name must be at most \(maximumFieldBytes) bytes"
        }
        return nil
    }
}

import Foundation
import JWTKit
import SFU

/// The claims of a join token (docs/signaling.md, "Join tokens"; RFC 7519 4.1 for the
/// registered ones).
public struct JoinClaims: JWTPayload, Equatable {
    /// `iss`: the API key whose secret signed the token.
    public var apiKey: String
    /// `sub`: the participant identity, unique in the room.
    public var identity: String
    /// `name`: display name (optional).
    public var name: String?
    public var room: String
    /// `exp` (required), `nbf`, `iat`: NumericDate, seconds since the epoch (RFC 7519 2).
    public var expiresAt: Date
    public var notBefore: Date?
    public var issuedAt: Date?
    /// `grants`: a missing flag is false, so a token grants only what it says.
    public var grants: Grants

    public init(apiKey: String, identity: String, name: String? = nil, room: String, expiresAt: Date,
                notBefore: Date? = nil, issuedAt: Date? = nil, grants: Grants) {
        self.apiKey = apiKey
        self.identity = identity
        self.name = name
        self.room = room
        self.expiresAt = expiresAt
        self.notBefore = notBefore
        self.issuedAt = issuedAt
        self.grants = grants
    }

    enum CodingKeys: String, CodingKey {
        case apiKey = "iss", identity = "sub", name, room, expiresAt = "exp", notBefore = "nbf", issuedAt = "iat", grants
    }

    enum GrantKeys: String, CodingKey { case publish, subscribe, admin }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        apiKey = try container.decode(String.self, forKey: .apiKey)
        identity = try container.decode(String.self, forKey: .identity)
        name = try container.decodeIfPresent(String.self, forKey: .name)
        room = try container.decode(String.self, forKey: .room)
        expiresAt = try container.decode(Date.self, forKey: .expiresAt)
        notBefore = try container.decodeIfPresent(Date.self, forKey: .notBefore)
        issuedAt = try container.decodeIfPresent(Date.self, forKey: .issuedAt)
        let grantContainer = try container.nestedContainer(keyedBy: GrantKeys.self, forKey: .grants)
        grants = Grants(publish: try grantContainer.decodeIfPresent(Bool.self, forKey: .publish) ?? false,
                        subscribe: try grantContainer.decodeIfPresent(Bool.self, forKey: .subscribe) ?? false,
                        admin: try grantContainer.decodeIfPresent(Bool.self, forKey: .admin) ?? false)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(apiKey, forKey: .apiKey)
        try container.encode(identity, forKey: .identity)
        try container.encodeIfPresent(name, forKey: .name)
        try container.encode(room, forKey: .room)
        try container.encode(expiresAt, forKey: .expiresAt)
        try container.encodeIfPresent(notBefore, forKey: .notBefore)
        try container.encodeIfPresent(issuedAt, forKey: .issuedAt)
        var grantContainer = container.nestedContainer(keyedBy: GrantKeys.self, forKey: .grants)
        try grantContainer.encode(grants.publish, forKey: .publish)
        try grantContainer.encode(grants.subscribe, forKey: .subscribe)
        try grantContainer.encode(grants.admin, forKey: .admin)
    }

    /// Time checks are `TokenVerifier`'s, against its own clock and leeway, so that expiry maps
    /// to `token-expired` and tests can move the clock; jwt-kit's hook does nothing here.
    public func verify(using algorithm: some JWTAlgorithm) async throws {}
}

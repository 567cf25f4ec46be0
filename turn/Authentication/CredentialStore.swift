import STUN

/// Turns a USERNAME into the long-term key that checks its MESSAGE-INTEGRITY (RFC 8489 9.2),
/// from static users or from the TURN REST API scheme (username `expiry:identity`, password
/// base64(HMAC-SHA1(secret, username)); draft-uberti-behave-turn-rest-00 2.2, as coturn's
/// --static-auth-secret).
public struct CredentialStore: Sendable {
    public let realm: String
    private let users: [String: String]
    private let restSecret: String?

    public init(realm: String, users: [String: String], restSecret: String?) {
        self.realm = realm
        self.users = users
        self.restSecret = restSecret
    }

    public enum Lookup: Equatable, Sendable {
        /// The password, and the identity quotas are counted against.
        case found(password: String, identity: String)
        case unknownUser
        case expired
    }

    /// The password for `username` at `now` (seconds since 1970).
    public func lookup(username: String, now: Int) -> Lookup {
        if let password = users[username] { return .found(password: password, identity: username) }
        guard let secret = restSecret, let parsed = TURNRESTCredential.parse(username: username) else { return .unknownUser }
        guard parsed.expiry >= now else { return .expired }
        let password = TURNRESTCredential.password(secret: secret, username: username)
        return .found(password: password, identity: parsed.identity.isEmpty ? username : parsed.identity)
    }
}

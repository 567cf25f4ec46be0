import Foundation

/// The TURN REST API's ephemeral credentials (draft-uberti-behave-turn-rest-00 2.2, coturn's
/// --static-auth-secret): username `expiry:identity` (expiry in seconds since 1970), password
/// base64(HMAC-SHA1(secret, username)). Signaling mints them; the relay checks them with the same
/// shared secret and no other state.
public enum TURNRESTCredential {
    public static func password(secret: String, username: String) -> String {
        Data(STUNKeyedHash.hmacSHA1(key: Array(secret.utf8), message: Array(username.utf8))).base64EncodedString()
    }

    /// A credential for `identity` that expires `lifetime` seconds after `now`.
    public static func make(secret: String, identity: String, now: Int, lifetime: Int) -> (username: String, password: String) {
        let username = "\(now + lifetime):\(identity)"
        return (username, password(secret: secret, username: username))
    }

    /// The expiry and identity of a REST username; nil when it is not one.
    public static func parse(username: String) -> (expiry: Int, identity: String)? {
        let parts = username.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard !parts[0].isEmpty, parts[0].count <= 12, parts[0].allSatisfy({ $0.isASCII && $0.isNumber }), let expiry = Int(parts[0]) else {
            return nil
        }
        return (expiry, parts.count == 2 ? String(parts[1]) : "")
    }
}

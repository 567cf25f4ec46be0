import Foundation

/// One API key and its secret: the key names the secret (JWT header `kid`, claim `iss`), the
/// secret signs join tokens with HMAC-SHA256.
public struct APIKey: Sendable, Equatable, CustomStringConvertible {
    public var id: String
    public var secret: String

    /// HS256 needs a key at least as long as its hash output, 256 bits (RFC 7518 3.2).
    public static let minimumSecretBytes = 32

    public init(id: String, secret: String) throws(ConfigurationError) {
        guard !id.isEmpty, !id.contains(":"), !id.contains(where: \.isWhitespace), id.utf8.count <= 128 else {
            throw .invalidAPIKey(id, reason: "a key is 1 to 128 characters without ':' or spaces")
        }
        guard secret.utf8.count >= Self.minimumSecretBytes else {
            throw .invalidAPIKey(id, reason: "the secret must be at least \(Self.minimumSecretBytes) bytes (RFC 7518 3.2)")
        }
        self.id = id
        self.secret = secret
    }

    /// Parses `KEY:SECRET` (the secret may itself contain ':').
    public static func parse(_ text: String) throws(ConfigurationError) -> APIKey {
        guard let colon = text.firstIndex(of: ":") else {
            throw .invalidAPIKey(redacted(text), reason: "expected KEY:SECRET")
        }
        return try APIKey(id: String(text[..<colon]), secret: String(text[text.index(after: colon)...]))
    }

    /// Parses a comma-separated list of `KEY:SECRET` pairs (the `SFU_API_KEYS` form).
    public static func parseList(_ text: String) throws(ConfigurationError) -> [APIKey] {
        var keys: [APIKey] = []
        for item in text.split(separator: ",") {
            let trimmed = item.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            keys.append(try parse(trimmed))
        }
        return keys
    }

    /// The secret never appears in logs or error messages.
    public var description: String { "APIKey(\(id))" }

    private static func redacted(_ text: String) -> String {
        text.count <= 4 ? "…" : String(text.prefix(4)) + "…"
    }
}


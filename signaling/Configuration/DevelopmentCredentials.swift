/// The API key of development mode (`sfu serve --dev`), documented in docs/operations.md so that
/// the demo page and local tools work without setup. Public by design: development mode also
/// serves `/dev/token`, which mints tokens for anyone, and must never face a network.
public enum DevelopmentCredentials {
    public static let key = "devkey"
    public static let secret = "devsecret-change-me-0123456789abcdef"

    public static var apiKey: APIKey {
        do {
            return try APIKey(id: key, secret: secret)
        } catch {
            preconditionFailure("the development key is valid by construction: \(error)")
        }
    }
}

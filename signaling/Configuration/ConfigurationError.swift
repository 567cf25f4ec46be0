/// Why the signaling configuration cannot be used. Each case names the source and the value,
/// so that `sfu serve` can print one clear line and exit.
public enum ConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    case unreadableFile(path: String, reason: String)
    case badFile(path: String, reason: String)
    case invalidValue(setting: String, value: String, reason: String)
    case invalidAPIKey(String, reason: String)
    case noAPIKey

    public var description: String {
        switch self {
        case .unreadableFile(let path, let reason): "cannot read configuration file \(path): \(reason)"
        case .badFile(let path, let reason): "configuration file \(path): \(reason)"
        case .invalidValue(let setting, let value, let reason): "\(setting) '\(value)': \(reason)"
        case .invalidAPIKey(let text, let reason): "API key '\(text)': \(reason)"
        case .noAPIKey:
            "no API key configured: pass --api-key KEY:SECRET, set SFU_API_KEYS, add \"apiKeys\" to the configuration file, or use --dev"
        }
    }
}

import Foundation

/// Settings given on the command line; nil means "not given", so that a lower source applies.
public struct SignalingConfigurationFlags: Sendable, Equatable {
    public var configFile: String?
    public var host: String?
    public var port: Int?
    /// `--dev` can only turn development mode on; nil when absent.
    public var devMode: Bool?
    /// `--api-key KEY:SECRET`, repeatable; empty when absent.
    public var apiKeys: [String]
    public var publicURL: String?
    public var mediaPorts: String?
    public var bindAddresses: [String]
    public var publicAddresses: [String]
    public var workers: Int?
    public var consentTimeoutSeconds: Int?
    public var maxParticipantsPerRoom: Int?
    /// `--no-turn`: nil when absent.
    public var relayEnabled: Bool?
    public var relayPort: Int?
    public var relayHost: String?
    public var relayPorts: String?
    public var relayCertificate: String?
    public var relayPrivateKey: String?
    public var relayAllowedPeers: [String] = []
    public var relayListenAddresses: [String] = []
    public var metricsToken: String?

    public init(configFile: String? = nil, host: String? = nil, port: Int? = nil, devMode: Bool? = nil,
                apiKeys: [String] = [], publicURL: String? = nil, mediaPorts: String? = nil, bindAddresses: [String] = [],
                publicAddresses: [String] = [], workers: Int? = nil, consentTimeoutSeconds: Int? = nil) {
        self.mediaPorts = mediaPorts
        self.bindAddresses = bindAddresses
        self.publicAddresses = publicAddresses
        self.workers = workers
        self.consentTimeoutSeconds = consentTimeoutSeconds
        self.configFile = configFile
        self.host = host
        self.port = port
        self.devMode = devMode
        self.apiKeys = apiKeys
        self.publicURL = publicURL
    }
}

/// Builds a `SignalingConfiguration` from, in order of precedence: flags, environment variables,
/// a JSON configuration file, defaults. Each setting is taken whole from the highest source
/// that sets it (API keys are not merged across sources). docs/operations.md lists the names.
public enum SignalingConfigurationLoader {
    public static func load(flags: SignalingConfigurationFlags, environment: [String: String]) throws(ConfigurationError) -> SignalingConfiguration {
        var configuration = SignalingConfiguration()
        if let path = flags.configFile ?? nonEmpty(environment["SFU_CONFIG"]) {
            let data: Data
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: path))
            } catch {
                throw .unreadableFile(path: path, reason: (error as NSError).localizedDescription)
            }
            try apply(file: data, path: path, to: &configuration)
        }
        try apply(environment: environment, to: &configuration)
        try apply(flags: flags, to: &configuration)
        try configuration.validate()
        return configuration
    }

    // MARK: - File

    /// The file is one JSON object; an unknown key is an error, so a misspelt setting does not
    /// silently keep its default.
    static func apply(file data: Data, path: String, to configuration: inout SignalingConfiguration) throws(ConfigurationError) {
        let root: JSONValue
        do {
            root = try JSONValue.parse(data)
        } catch {
            throw .badFile(path: path, reason: "not valid JSON")
        }
        guard let object = root.objectValue else { throw .badFile(path: path, reason: "the top level must be an object") }
        let reader = FileObject(object: object, path: path, prefix: "")
        try reader.refuseUnknownKeys(["host", "port", "dev", "apiKeys", "publicURL", "iceServers", "limits", "tokenLeewaySeconds", "media", "turn", "metricsToken"])

        if let host = try reader.string("host") { configuration.host = host }
        if let port = try reader.integer("port") { configuration.port = port }
        if let dev = try reader.bool("dev") { configuration.devMode = dev }
        if let publicURL = try reader.string("publicURL") { configuration.publicURL = publicURL }
        if let token = try reader.string("metricsToken") { configuration.metricsToken = token }
        if let leeway = try reader.integer("tokenLeewaySeconds") {
            guard (0...300).contains(leeway) else { throw .badFile(path: path, reason: "tokenLeewaySeconds must be 0 to 300") }
            configuration.tokenLeeway = .seconds(leeway)
        }
        if let keys = try reader.array("apiKeys") {
            configuration.apiKeys = []
            for (index, item) in keys.enumerated() {
                let keyReader = try reader.object(item, at: "apiKeys[\(index)]")
                try keyReader.refuseUnknownKeys(["key", "secret"])
                guard let key = try keyReader.string("key"), let secret = try keyReader.string("secret") else {
                    throw .badFile(path: path, reason: "apiKeys[\(index)] needs \"key\" and \"secret\"")
                }
                configuration.apiKeys.append(try APIKey(id: key, secret: secret))
            }
        }
        if let servers = try reader.array("iceServers") {
            configuration.iceServers = []
            for (index, item) in servers.enumerated() {
                let serverReader = try reader.object(item, at: "iceServers[\(index)]")
                try serverReader.refuseUnknownKeys(["urls", "username", "credential"])
                let urls: [String]
                if let single = serverReader.object["urls"]?.stringValue {
                    urls = [single]
                } else if let list = try serverReader.array("urls") {
                    urls = try list.enumerated().map { (urlIndex, url) throws(ConfigurationError) -> String in
                        guard let text = url.stringValue else {
                            throw .badFile(path: path, reason: "iceServers[\(index)].urls[\(urlIndex)] must be a string")
                        }
                        return text
                    }
                } else {
                    throw .badFile(path: path, reason: "iceServers[\(index)] needs \"urls\"")
                }
                configuration.iceServers.append(ICEServer(urls: urls, username: try serverReader.string("username"),
                                                          credential: try serverReader.string("credential")))
            }
        }
        if let mediaValue = reader.object["media"] {
            let media = try reader.object(mediaValue, at: "media")
            try media.refuseUnknownKeys(["ports", "bind", "publicAddresses", "workers", "consentTimeoutSeconds", "maxParticipantsPerRoom"])
            if let ports = try media.string("ports") {
                configuration.media.portRange = try MediaSettings.parsePortRange(ports, setting: "media.ports")
            }
            for (key, apply) in [("bind", { (list: [String], m: inout MediaSettings) in m.bindAddresses = list }),
                                 ("publicAddresses", { (list: [String], m: inout MediaSettings) in m.publicAddresses = list })] {
                guard let items = try media.array(key) else { continue }
                var list: [String] = []
                for item in items {
                    guard let text = item.stringValue else { throw .badFile(path: path, reason: "media.\(key) must hold strings") }
                    list.append(text)
                }
                apply(list, &configuration.media)
            }
            if let workers = try media.integer("workers") { configuration.media.workers = workers }
            if let seconds = try media.integer("consentTimeoutSeconds") { configuration.media.consentTimeoutSeconds = seconds }
            if let limit = try media.integer("maxParticipantsPerRoom") { configuration.media.maxParticipantsPerRoom = limit }
        }
        if let relayValue = reader.object["turn"] {
            let relay = try reader.object(relayValue, at: "turn")
            try relay.refuseUnknownKeys(["enabled", "port", "tlsPort", "certificate", "privateKey", "secret", "host", "realm",
                                         "relayPorts", "allowedPeers", "listen", "credentialLifetimeSeconds"])
            if let enabled = try relay.bool("enabled") { configuration.relay.enabled = enabled }
            if let port = try relay.integer("port") { configuration.relay.port = UInt16(try parsePort(String(port), setting: "turn.port")) }
            if let port = try relay.integer("tlsPort") { configuration.relay.tlsPort = UInt16(try parsePort(String(port), setting: "turn.tlsPort")) }
            if let path = try relay.string("certificate") { configuration.relay.certificatePath = path }
            if let path = try relay.string("privateKey") { configuration.relay.privateKeyPath = path }
            if let secret = try relay.string("secret") { configuration.relay.secret = secret }
            if let host = try relay.string("host") { configuration.relay.urlHost = host }
            if let realm = try relay.string("realm") { configuration.relay.realm = realm }
            if let ports = try relay.string("relayPorts") {
                configuration.relay.relayPorts = try MediaSettings.parsePortRange(ports, setting: "turn.relayPorts")
            }
            for (key, apply) in [("allowedPeers", { (list: [String], r: inout RelaySettings) in r.allowedPeers = list }),
                                 ("listen", { (list: [String], r: inout RelaySettings) in r.listenAddresses = list })] {
                guard let items = try relay.array(key) else { continue }
                var list: [String] = []
                for item in items {
                    guard let text = item.stringValue else { throw .badFile(path: path, reason: "turn.\(key) must hold strings") }
                    list.append(text)
                }
                apply(list, &configuration.relay)
            }
            if let seconds = try relay.integer("credentialLifetimeSeconds") { configuration.relay.credentialLifetimeSeconds = seconds }
        }
        if let limitsValue = reader.object["limits"] {
            let limits = try reader.object(limitsValue, at: "limits")
            try limits.refuseUnknownKeys(["maxMessageBytes", "maxJoinedMessageBytes", "messagesPerSecond", "messageBurst", "candidatesPerConnection",
                                          "joinTimeoutSeconds", "idleTimeoutSeconds"])
            if let value = try limits.integer("maxMessageBytes") { configuration.limits.maxMessageBytes = value }
            if let value = try limits.integer("maxJoinedMessageBytes") { configuration.limits.maxJoinedMessageBytes = value }
            if let value = try limits.integer("messagesPerSecond") { configuration.limits.messagesPerSecond = value }
            if let value = try limits.integer("messageBurst") { configuration.limits.messageBurst = value }
            if let value = try limits.integer("candidatesPerConnection") { configuration.limits.candidatesPerConnection = value }
            if let value = try limits.integer("joinTimeoutSeconds") { configuration.limits.joinTimeout = .seconds(value) }
            if let value = try limits.integer("idleTimeoutSeconds") { configuration.limits.idleTimeout = .seconds(value) }
        }
    }

    /// Typed reads from one object of the file, with errors that give the key's path.
    private struct FileObject {
        let object: [String: JSONValue]
        let path: String
        let prefix: String

        func refuseUnknownKeys(_ known: Set<String>) throws(ConfigurationError) {
            if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
                throw .badFile(path: path, reason: "unknown setting \"\(prefix)\(unknown)\" (known: \(known.sorted().joined(separator: ", ")))")
            }
        }

        func string(_ key: String) throws(ConfigurationError) -> String? {
            guard let value = object[key], value != .null else { return nil }
            guard let text = value.stringValue else { throw wrongType(key, "a string", value) }
            return text
        }

        func integer(_ key: String) throws(ConfigurationError) -> Int? {
            guard let value = object[key], value != .null else { return nil }
            guard let number = value.integerValue, let integer = Int(exactly: number) else { throw wrongType(key, "an integer", value) }
            return integer
        }

        func bool(_ key: String) throws(ConfigurationError) -> Bool? {
            guard let value = object[key], value != .null else { return nil }
            guard let flag = value.boolValue else { throw wrongType(key, "true or false", value) }
            return flag
        }

        func array(_ key: String) throws(ConfigurationError) -> [JSONValue]? {
            guard let value = object[key], value != .null else { return nil }
            guard case .array(let items) = value else { throw wrongType(key, "an array", value) }
            return items
        }

        func object(_ value: JSONValue, at name: String) throws(ConfigurationError) -> FileObject {
            guard let nested = value.objectValue else {
                throw .badFile(path: path, reason: "\(prefix)\(name) must be an object, not \(value.typeName)")
            }
            return FileObject(object: nested, path: path, prefix: "\(prefix)\(name).")
        }

        private func wrongType(_ key: String, _ expected: String, _ value: JSONValue) -> ConfigurationError {
            .badFile(path: path, reason: "\"\(prefix)\(key)\" must be \(expected), not \(value.typeName)")
        }
    }

    // MARK: - Environment

    static func apply(environment: [String: String], to configuration: inout SignalingConfiguration) throws(ConfigurationError) {
        if let host = nonEmpty(environment["SFU_HOST"]) { configuration.host = host }
        if let port = nonEmpty(environment["SFU_PORT"]) { configuration.port = try parsePort(port, setting: "SFU_PORT") }
        if let dev = nonEmpty(environment["SFU_DEV"]) { configuration.devMode = try parseBool(dev, setting: "SFU_DEV") }
        if let publicURL = nonEmpty(environment["SFU_PUBLIC_URL"]) { configuration.publicURL = publicURL }
        if let token = nonEmpty(environment["SFU_METRICS_TOKEN"]) { configuration.metricsToken = token }
        // SFU_API_KEYS holds a list; SFU_API_KEY with SFU_API_SECRET one pair (the form
        // `sfu token` reads too). Both may be given: the keys are added together.
        var keys: [APIKey] = []
        if let list = nonEmpty(environment["SFU_API_KEYS"]) { keys += try APIKey.parseList(list) }
        switch (nonEmpty(environment["SFU_API_KEY"]), nonEmpty(environment["SFU_API_SECRET"])) {
        case (let key?, let secret?): keys.append(try APIKey(id: key, secret: secret))
        case (nil, nil): break
        case (let key, _):
            throw .invalidValue(setting: "SFU_API_KEY/SFU_API_SECRET", value: key ?? "", reason: "set both or neither")
        }
        if !keys.isEmpty { configuration.apiKeys = keys }
        if let ports = nonEmpty(environment["SFU_MEDIA_PORTS"]) {
            configuration.media.portRange = try MediaSettings.parsePortRange(ports, setting: "SFU_MEDIA_PORTS")
        }
        if let bind = nonEmpty(environment["SFU_MEDIA_BIND"]) { configuration.media.bindAddresses = MediaSettings.parseList(bind) }
        if let addresses = nonEmpty(environment["SFU_PUBLIC_ADDRESSES"]) {
            configuration.media.publicAddresses = MediaSettings.parseList(addresses)
        }
        if let limit = nonEmpty(environment["SFU_MAX_PARTICIPANTS"]) {
            guard let value = Int(limit) else { throw .invalidValue(setting: "SFU_MAX_PARTICIPANTS", value: limit, reason: "must be a number") }
            configuration.media.maxParticipantsPerRoom = value
        }
        if let workers = nonEmpty(environment["SFU_WORKERS"]) {
            guard let value = Int(workers) else { throw .invalidValue(setting: "SFU_WORKERS", value: workers, reason: "must be a number") }
            configuration.media.workers = value
        }
        if let seconds = nonEmpty(environment["SFU_CONSENT_TIMEOUT_SECONDS"]) {
            guard let value = Int(seconds) else {
                throw .invalidValue(setting: "SFU_CONSENT_TIMEOUT_SECONDS", value: seconds, reason: "must be a number")
            }
            configuration.media.consentTimeoutSeconds = value
        }
        if let enabled = nonEmpty(environment["SFU_TURN"]) { configuration.relay.enabled = try parseBool(enabled, setting: "SFU_TURN") }
        if let port = nonEmpty(environment["SFU_TURN_PORT"]) {
            configuration.relay.port = UInt16(try parsePort(port, setting: "SFU_TURN_PORT"))
        }
        if let secret = nonEmpty(environment["SFU_TURN_SECRET"]) { configuration.relay.secret = secret }
        if let host = nonEmpty(environment["SFU_TURN_HOST"]) { configuration.relay.urlHost = host }
        if let ports = nonEmpty(environment["SFU_TURN_RELAY_PORTS"]) {
            configuration.relay.relayPorts = try MediaSettings.parsePortRange(ports, setting: "SFU_TURN_RELAY_PORTS")
        }
        if let path = nonEmpty(environment["SFU_TURN_CERT"]) { configuration.relay.certificatePath = path }
        if let path = nonEmpty(environment["SFU_TURN_KEY"]) { configuration.relay.privateKeyPath = path }
        if let blocks = nonEmpty(environment["SFU_TURN_ALLOWED_PEERS"]) { configuration.relay.allowedPeers = MediaSettings.parseList(blocks) }
        if let addresses = nonEmpty(environment["SFU_TURN_LISTEN"]) { configuration.relay.listenAddresses = MediaSettings.parseList(addresses) }
    }

    // MARK: - Flags

    static func apply(flags: SignalingConfigurationFlags, to configuration: inout SignalingConfiguration) throws(ConfigurationError) {
        if let host = flags.host { configuration.host = host }
        if let port = flags.port {
            guard (0...65535).contains(port) else { throw .invalidValue(setting: "--port", value: "\(port)", reason: "must be 0 to 65535") }
            configuration.port = port
        }
        if let dev = flags.devMode { configuration.devMode = dev }
        if let publicURL = flags.publicURL { configuration.publicURL = publicURL }
        if let token = flags.metricsToken { configuration.metricsToken = token }
        if !flags.apiKeys.isEmpty {
            configuration.apiKeys = try flags.apiKeys.map { (text) throws(ConfigurationError) -> APIKey in try APIKey.parse(text) }
        }
        if let ports = flags.mediaPorts { configuration.media.portRange = try MediaSettings.parsePortRange(ports, setting: "--media-ports") }
        if !flags.bindAddresses.isEmpty { configuration.media.bindAddresses = flags.bindAddresses }
        if !flags.publicAddresses.isEmpty { configuration.media.publicAddresses = flags.publicAddresses }
        if let workers = flags.workers { configuration.media.workers = workers }
        if let seconds = flags.consentTimeoutSeconds { configuration.media.consentTimeoutSeconds = seconds }
        if let limit = flags.maxParticipantsPerRoom { configuration.media.maxParticipantsPerRoom = limit }
        if let enabled = flags.relayEnabled { configuration.relay.enabled = enabled }
        if let port = flags.relayPort { configuration.relay.port = UInt16(try parsePort(String(port), setting: "--turn-port")) }
        if let host = flags.relayHost { configuration.relay.urlHost = host }
        if let ports = flags.relayPorts {
            configuration.relay.relayPorts = try MediaSettings.parsePortRange(ports, setting: "--turn-relay-ports")
        }
        if let path = flags.relayCertificate { configuration.relay.certificatePath = path }
        if let path = flags.relayPrivateKey { configuration.relay.privateKeyPath = path }
        if !flags.relayAllowedPeers.isEmpty { configuration.relay.allowedPeers = flags.relayAllowedPeers }
        if !flags.relayListenAddresses.isEmpty { configuration.relay.listenAddresses = flags.relayListenAddresses }
    }

    // MARK: - Values

    static func parsePort(_ text: String, setting: String) throws(ConfigurationError) -> Int {
        guard let port = Int(text), (0...65535).contains(port) else {
            throw .invalidValue(setting: setting, value: text, reason: "must be a port number, 0 to 65535")
        }
        return port
    }

    static func parseBool(_ text: String, setting: String) throws(ConfigurationError) -> Bool {
        switch text.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw .invalidValue(setting: setting, value: text, reason: "must be true or false")
        }
    }

    private static func nonEmpty(_ text: String?) -> String? {
        guard let text, !text.isEmpty else { return nil }
        return text
    }
}

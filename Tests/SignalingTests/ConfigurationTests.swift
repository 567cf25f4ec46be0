import Foundation
import Testing
@testable import Signaling

/// Flags > environment > file > defaults, and clear refusals.
@Suite struct ConfigurationTests {
    static let secret = "0123456789abcdef0123456789abcdef"

    func file(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sig-config-\(UUID().uuidString).json").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func load(_ flags: SignalingConfigurationFlags = .init(), env: [String: String] = [:]) throws(ConfigurationError) -> SignalingConfiguration {
        try SignalingConfigurationLoader.load(flags: flags, environment: env)
    }

    func refusal(_ flags: SignalingConfigurationFlags = .init(), env: [String: String] = [:]) -> ConfigurationError? {
        do {
            _ = try load(flags, env: env)
            return nil
        } catch {
            return error
        }
    }

    @Test func defaultsNeedAKeyOrDevMode() throws {
        #expect(refusal() == .noAPIKey)
        let dev = try load(.init(devMode: true))
        #expect(dev.host == "127.0.0.1" && dev.port == 8080 && dev.devMode)
        #expect(dev.apiKeys.isEmpty && dev.effectiveAPIKeys.map(\.id) == ["devkey"])
        #expect(dev.limits == SignalingLimits())
        #expect(dev.limits.maxMessageBytes == 65536 && dev.limits.messagesPerSecond == 50 && dev.limits.messageBurst == 200)
        #expect(dev.iceServers.isEmpty)
    }

    @Test func precedence() throws {
        let path = try file("""
            {"host": "0.0.0.0", "port": 9000, "publicURL": "https://file.example", "apiKeys": [{"key": "filekey", "secret": "\(Self.secret)"}],
             "iceServers": [{"urls": "stun:stun.example.com"}], "limits": {"idleTimeoutSeconds": 30, "messageBurst": 100}}
            """)
        let fromFile = try load(.init(configFile: path))
        #expect(fromFile.host == "0.0.0.0" && fromFile.port == 9000 && fromFile.apiKeys.map(\.id) == ["filekey"])
        #expect(fromFile.iceServers == [ICEServer(urls: ["stun:stun.example.com"])])
        #expect(fromFile.limits.idleTimeout == .seconds(30) && fromFile.limits.messageBurst == 100 && fromFile.limits.messagesPerSecond == 50)

        let env = ["SFU_PORT": "9100", "SFU_API_KEYS": "envkey:\(Self.secret)", "SFU_CONFIG": path]
        let fromEnv = try load(env: env)
        #expect(fromEnv.host == "0.0.0.0" && fromEnv.port == 9100 && fromEnv.apiKeys.map(\.id) == ["envkey"])

        let fromFlags = try load(.init(port: 9200, apiKeys: ["flagkey:\(Self.secret)", "flagkey2:\(Self.secret)"]), env: env)
        #expect(fromFlags.port == 9200 && fromFlags.apiKeys.map(\.id) == ["flagkey", "flagkey2"] && fromFlags.host == "0.0.0.0")

        let single = try load(env: ["SFU_API_KEY": "one", "SFU_API_SECRET": Self.secret])
        #expect(single.apiKeys.map(\.id) == ["one"])
    }

    @Test("the metrics token: file, environment, flag; at least 16 characters")
    func metricsToken() throws {
        let path = try file(#"{"dev": true, "metricsToken": "from-the-file-0123456789"}"#)
        #expect(try load(.init(configFile: path)).metricsToken == "from-the-file-0123456789")
        let env = ["SFU_CONFIG": path, "SFU_METRICS_TOKEN": "from-the-environment-0123"]
        #expect(try load(env: env).metricsToken == "from-the-environment-0123")
        var flags = SignalingConfigurationFlags()
        flags.metricsToken = "from-the-flag-0123456789"
        #expect(try load(flags, env: env).metricsToken == "from-the-flag-0123456789")
        #expect(try load(.init(devMode: true)).metricsToken == nil)
        var short = SignalingConfigurationFlags(devMode: true)
        short.metricsToken = "short"
        let error = refusal(short)
        #expect(error.map { "\($0)".contains("metricsToken") && "\($0)".contains("16") && !"\($0)".contains("short\"") } == true,
                "\(String(describing: error))")
    }

    @Test("participants per room: file, environment, flag; 1 to 10000")
    func maxParticipants() throws {
        let path = try file(#"{"dev": true, "media": {"maxParticipantsPerRoom": 250}}"#)
        #expect(try load(.init(configFile: path)).media.maxParticipantsPerRoom == 250)
        #expect(try load(env: ["SFU_CONFIG": path, "SFU_MAX_PARTICIPANTS": "300"]).media.maxParticipantsPerRoom == 300)
        var flags = SignalingConfigurationFlags(configFile: path)
        flags.maxParticipantsPerRoom = 400
        #expect(try load(flags, env: ["SFU_MAX_PARTICIPANTS": "300"]).media.maxParticipantsPerRoom == 400)
        #expect(try load(.init(devMode: true)).media.maxParticipantsPerRoom == 100)
        var zero = SignalingConfigurationFlags(devMode: true)
        zero.maxParticipantsPerRoom = 0
        #expect(refusal(zero) == .invalidValue(setting: "media.maxParticipantsPerRoom", value: "0", reason: "must be 1 to 10000"))
        #expect(refusal(.init(devMode: true), env: ["SFU_MAX_PARTICIPANTS": "many"]) != nil)
    }

    @Test func badFiles() throws {
        let key = #""apiKeys": [{"key": "k", "secret": "\#(Self.secret)"}]"#
        for (text, fragment) in [("{", "not valid JSON"), ("[]", "top level"), (#"{"prot": 1}"#, "unknown setting \"prot\""),
                                 (#"{"port": "80"}"#, "\"port\" must be an integer"),
                                 (#"{\#(key), "limits": {"maxMessageByte": 1}}"#, "unknown setting \"limits.maxMessageByte\""),
                                 (#"{"apiKeys": [{"key": "k"}]}"#, "needs \"key\" and \"secret\"")] {
            let error = refusal(.init(configFile: try file(text)))
            #expect(error.map { "\($0)".contains(fragment) } == true, "\(text): \(String(describing: error))")
        }
        #expect(refusal(.init(configFile: "/nonexistent/sfu.json")).map { "\($0)".contains("cannot read") } == true)
        #expect(refusal(.init(configFile: try file(#"{\#(key), "limits": {"messagesPerSecond": 0}}"#))).map { "\($0)".contains("must be positive") } == true)
    }

    @Test func badEnvironmentAndFlags() {
        #expect(refusal(.init(devMode: true), env: ["SFU_PORT": "http"]) == .invalidValue(setting: "SFU_PORT", value: "http", reason: "must be a port number, 0 to 65535"))
        #expect(refusal(.init(devMode: true), env: ["SFU_DEV": "maybe"]) != nil)
        #expect(refusal(.init(devMode: true), env: ["SFU_API_KEY": "k"]) != nil)
        #expect(refusal(.init(port: 70000, devMode: true)) != nil)
        #expect(refusal(.init(apiKeys: ["k:short"])) != nil)
        #expect(refusal(.init(apiKeys: ["k:\(Self.secret)", "k:\(Self.secret)"])) == .invalidAPIKey("k", reason: "configured twice"))
        #expect(refusal(.init(devMode: true, publicURL: "sfu.example.com")) != nil)
    }
}

/// The token bucket and the frame assembler, without sockets.
@Suite struct SessionPartsTests {
    @Test func rateLimiterBurstThenSustained() {
        let start = ContinuousClock.now
        var limiter = RateLimiter(rate: 50, burst: 200, now: start)
        let allowed = (0..<250).filter { _ in limiter.allow(at: start) }.count
        #expect(allowed == 200)
        // One second later, 50 more.
        let later = start + .seconds(1)
        #expect((0..<100).filter { _ in limiter.allow(at: later) }.count == 50)
    }
}

import Foundation
@testable import Signaling
import STUN
import Testing

@Suite struct RelaySettingsTests {
    static let devFlags = SignalingConfigurationFlags(devMode: true)

    @Test func onByDefaultWithPortsApartFromMedia() throws {
        let configuration = try SignalingConfigurationLoader.load(flags: Self.devFlags, environment: [:])
        #expect(configuration.relay.enabled && configuration.relay.port == 3478)
        #expect(!configuration.relay.relayPorts.overlaps(configuration.media.portRange))
        #expect(configuration.relay.secret == nil, "a per-process secret unless one is configured")
    }

    @Test func fileThenEnvironmentThenFlags() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("relay-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try #"{"dev": true, "turn": {"port": 3479, "host": "turn.example.com", "relayPorts": "60000-60999", "allowedPeers": ["10.1.0.0/16"], "secret": "0123456789abcdef0123", "credentialLifetimeSeconds": 3600}}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        let fromFile = try SignalingConfigurationLoader.load(flags: SignalingConfigurationFlags(configFile: path), environment: [:]).relay
        #expect(fromFile.port == 3479 && fromFile.urlHost == "turn.example.com" && fromFile.relayPorts == 60000...60999)
        #expect(fromFile.allowedPeers == ["10.1.0.0/16"] && fromFile.credentialLifetimeSeconds == 3600)

        let environment = ["SFU_TURN_PORT": "3480", "SFU_TURN_SECRET": "fedcba9876543210fedc"]
        let fromEnvironment = try SignalingConfigurationLoader.load(flags: SignalingConfigurationFlags(configFile: path), environment: environment).relay
        #expect(fromEnvironment.port == 3480 && fromEnvironment.secret == "fedcba9876543210fedc")
        #expect(fromEnvironment.urlHost == "turn.example.com", "the file's value stays where the environment is silent")

        var flags = SignalingConfigurationFlags(configFile: path)
        flags.relayEnabled = false
        flags.relayPort = 3481
        let fromFlags = try SignalingConfigurationLoader.load(flags: flags, environment: environment).relay
        #expect(!fromFlags.enabled && fromFlags.port == 3481)
    }

    @Test func badValuesAreRefusedWithTheSettingNamed() throws {
        let cases: [([String: String], String)] = [
            (["SFU_TURN_RELAY_PORTS": "50500-51500"], "turn.relayPorts"),  // overlaps the media ports
            (["SFU_TURN_SECRET": "short"], "turn.secret"),
            (["SFU_TURN_ALLOWED_PEERS": "10.0.0.0/33"], "turn.allowedPeers"),
            (["SFU_TURN_CERT": "/tmp/cert.pem"], "turn.certificate"),
            (["SFU_TURN_PORT": "70000"], "SFU_TURN_PORT"),
            (["SFU_TURN": "maybe"], "SFU_TURN"),
            (["SFU_TURN_HOST": "a b"], "turn.host"),
        ]
        for (environment, setting) in cases {
            #expect {
                try SignalingConfigurationLoader.load(flags: Self.devFlags, environment: environment)
            } throws: { error in
                guard case ConfigurationError.invalidValue(let named, _, _) = error else { return false }
                return named == setting
            }
        }
        // A disabled relay's settings are not held against the server.
        _ = try SignalingConfigurationLoader.load(flags: Self.devFlags, environment: ["SFU_TURN": "off", "SFU_TURN_SECRET": "short"])
    }

    @Test func credentialsFollowTheRESTScheme() throws {
        let issuer = RelayCredentialIssuer(host: "fd00::1", port: 3478, tlsPort: 5349, secret: "0123456789abcdef0123", lifetimeSeconds: 600)
        #expect(issuer.urls == ["stun:[fd00::1]:3478", "turn:[fd00::1]:3478?transport=udp", "turn:[fd00::1]:3478?transport=tcp",
                                "turns:[fd00::1]:5349?transport=tcp"])
        let server = issuer.server(for: "PA_x", now: 1_800_000_000)
        #expect(server.username == "1800000600:PA_x")
        // python3 -c 'import hmac,hashlib,base64; print(base64.b64encode(hmac.new(b"0123456789abcdef0123", b"1800000600:PA_x", hashlib.sha1).digest()).decode())'
        #expect(server.credential == "IuN3ThBjvjEKz5SLxbGbpw110i0=")
        #expect(TURNRESTCredential.parse(username: server.username!)?.expiry == 1_800_000_600)
    }
}

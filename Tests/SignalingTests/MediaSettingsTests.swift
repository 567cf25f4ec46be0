import Foundation
@testable import Signaling
import Testing

@Suite struct MediaSettingsTests {
    static let devFlags = SignalingConfigurationFlags(devMode: true)

    @Test func defaults() throws {
        let media = try SignalingConfigurationLoader.load(flags: Self.devFlags, environment: [:]).media
        #expect(media.portRange == 50000...50999)
        #expect(media.bindAddresses.isEmpty && media.publicAddresses.isEmpty)
        #expect(media.workers == 0 && media.consentTimeoutSeconds == 30)
    }

    @Test func fileThenEnvironmentThenFlags() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("media-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try #"{"dev": true, "media": {"ports": "40000-40099", "bind": ["10.0.0.5"], "publicAddresses": ["203.0.113.9"], "workers": 3, "consentTimeoutSeconds": 12}}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        let fromFile = try SignalingConfigurationLoader.load(flags: SignalingConfigurationFlags(configFile: path), environment: [:]).media
        #expect(fromFile.portRange == 40000...40099 && fromFile.bindAddresses == ["10.0.0.5"])
        #expect(fromFile.publicAddresses == ["203.0.113.9"] && fromFile.workers == 3 && fromFile.consentTimeoutSeconds == 12)

        let environment = ["SFU_MEDIA_PORTS": "41000-41009", "SFU_PUBLIC_ADDRESSES": "198.51.100.1, 2001:db8::1", "SFU_WORKERS": "2"]
        let fromEnvironment = try SignalingConfigurationLoader.load(flags: SignalingConfigurationFlags(configFile: path), environment: environment).media
        #expect(fromEnvironment.portRange == 41000...41009 && fromEnvironment.workers == 2)
        #expect(fromEnvironment.publicAddresses == ["198.51.100.1", "2001:db8::1"])
        #expect(fromEnvironment.bindAddresses == ["10.0.0.5"], "the file's value stays where the environment is silent")

        let flags = SignalingConfigurationFlags(configFile: path, mediaPorts: "42000-42000", workers: 1, consentTimeoutSeconds: 5)
        let fromFlags = try SignalingConfigurationLoader.load(flags: flags, environment: environment).media
        #expect(fromFlags.portRange == 42000...42000 && fromFlags.workers == 1 && fromFlags.consentTimeoutSeconds == 5)
    }

    @Test func badValuesAreRefusedWithTheSettingNamed() throws {
        for (environment, setting) in [(["SFU_MEDIA_PORTS": "9-1"], "SFU_MEDIA_PORTS"), (["SFU_WORKERS": "many"], "SFU_WORKERS"),
                                       (["SFU_PUBLIC_ADDRESSES": "not-an-ip"], "media address"),
                                       (["SFU_CONSENT_TIMEOUT_SECONDS": "0"], "media.consentTimeoutSeconds")] {
            #expect {
                try SignalingConfigurationLoader.load(flags: Self.devFlags, environment: environment)
            } throws: { error in
                guard case ConfigurationError.invalidValue(let named, _, _) = error else { return false }
                return named == setting
            }
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("media-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try #"{"dev": true, "media": {"portz": "1-2"}}"#.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: ConfigurationError.self) {
            try SignalingConfigurationLoader.load(flags: SignalingConfigurationFlags(configFile: path), environment: [:])
        }
    }
}

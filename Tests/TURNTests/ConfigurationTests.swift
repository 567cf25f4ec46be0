import STUN
import Testing
@testable import TURN

@Suite("TURNConfiguration.validate()")
struct ConfigurationTests {
    static func valid() -> TURNConfiguration {
        var configuration = TURNConfiguration()
        configuration.users = ["u": "p"]
        return configuration
    }

    /// The reason `validate()` gave, or nil when it passed.
    static func problem(_ change: (inout TURNConfiguration) -> Void) -> String? {
        var configuration = valid()
        change(&configuration)
        do {
            try configuration.validate()
            return nil
        } catch {
            switch error {
            case .invalid(let reason): return reason
            }
        }
    }

    @Test("the defaults with a user, or with a long enough REST secret, are valid")
    func validConfigurations() throws {
        try Self.valid().validate()
        var rest = TURNConfiguration()
        rest.restSecret = String(repeating: "s", count: 16)
        try rest.validate()
        #expect(Self.problem { $0.enableUDP = false } == nil)
        #expect(Self.problem { $0.enableUDP = false; $0.enableTCP = false; $0.tls = TLSSettings(certificatePath: "c", privateKeyPath: "k") } == nil)
        #expect(Self.problem { $0.relayPorts = 50000...50001 } == nil)
        #expect(Self.problem { $0.realm = String(repeating: "r", count: 127) } == nil)
        #expect(Self.problem { $0.threads = 256 } == nil)
        #expect(Self.problem { $0.quotas.bytesPerSecondPerAllocation = 0 } == nil)
        #expect(Self.problem { $0.lifetimes.defaultAllocationSeconds = 3600 } == nil)
    }

    @Test("invalid settings are refused with a reason")
    func invalidSettings() {
        let cases: [(String, (inout TURNConfiguration) -> Void)] = [
            ("credentials", { $0.users = [:] }),
            ("REST secret", { $0.restSecret = "short" }),
            ("REST secret", { $0.users = [:]; $0.restSecret = String(repeating: "s", count: 15) }),
            ("transport", { $0.enableUDP = false; $0.enableTCP = false }),
            ("port range", { $0.relayPorts = 50000...50000 }),
            ("realm", { $0.realm = "" }),
            ("realm", { $0.realm = String(repeating: "r", count: 128) }),
            ("user name", { $0.users = ["": "p"] }),
            ("user name", { $0.users = ["a:b": "p"] }),
            ("user name", { $0.users = [String(repeating: "n", count: 513): "p"] }),
            ("threads", { $0.threads = -1 }),
            ("threads", { $0.threads = 257 }),
            ("allocation lifetimes", { $0.lifetimes.defaultAllocationSeconds = 0 }),
            ("allocation lifetimes", { $0.lifetimes.maximumAllocationSeconds = 599 }),
            ("lifetimes", { $0.lifetimes.permissionSeconds = 0 }),
            ("lifetimes", { $0.lifetimes.channelSeconds = 0 }),
            ("lifetimes", { $0.lifetimes.nonceSeconds = 0 }),
            ("allocation quotas", { $0.quotas.allocationsPerUser = 0 }),
            ("allocation quotas", { $0.quotas.allocationsTotal = 0 }),
            ("bandwidth", { $0.quotas.bytesPerSecondPerAllocation = -1 }),
            ("failed-authentication", { $0.quotas.authenticationFailures = 0 }),
            ("failed-authentication", { $0.quotas.authenticationWindowSeconds = 0 }),
        ]
        for (index, (topic, change)) in cases.enumerated() {
            let reason = Self.problem(change)
            #expect(reason != nil, "case \(index) (\(topic)) passed validation")
            if let reason { #expect(reason.contains(topic), "case \(index): \"\(reason)\" does not mention \(topic)") }
        }
    }

    @Test("the error describes itself")
    func errorDescription() {
        #expect(TURNConfigurationError.invalid("x").description == "invalid TURN settings: x")
    }
}

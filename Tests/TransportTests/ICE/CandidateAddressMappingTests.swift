import Testing
@testable import Transport

@Suite struct CandidateAddressMappingTests {
    let host = "candidate:1 1 UDP 2015363327 10.0.0.5 50012 typ host"

    @Test func withoutPublicAddressesTheCandidateIsUnchanged() {
        #expect(CandidateAddressMapping.announce(host, configuration: ICEConfiguration()) == [host])
    }

    @Test func aPublicAddressReplacesTheHostAddressAndKeepsThePort() {
        let config = ICEConfiguration(publicAddresses: ["203.0.113.7"])
        #expect(CandidateAddressMapping.announce(host, configuration: config)
                == ["candidate:1 1 UDP 2015363327 203.0.113.7 50012 typ host"])
    }

    @Test func thePrivateCandidateCanBeKeptBeside() {
        let config = ICEConfiguration(publicAddresses: ["203.0.113.7"], keepPrivateCandidates: true)
        #expect(CandidateAddressMapping.announce(host, configuration: config).count == 2)
    }

    @Test func addressFamiliesAreNotMixed() {
        let config = ICEConfiguration(publicAddresses: ["2001:db8::7"])
        #expect(CandidateAddressMapping.announce(host, configuration: config) == [host], "no IPv6 mapping for an IPv4 candidate")
        let v6 = "candidate:2 1 UDP 2015363327 fd00::5 50012 typ host"
        #expect(CandidateAddressMapping.announce(v6, configuration: config) == ["candidate:2 1 UDP 2015363327 2001:db8::7 50012 typ host"])
    }

    @Test func nonHostCandidatesAreNotRewritten() {
        let relay = "candidate:3 1 UDP 16777215 198.51.100.1 3478 typ relay raddr 10.0.0.5 rport 50012"
        #expect(CandidateAddressMapping.announce(relay, configuration: ICEConfiguration(publicAddresses: ["203.0.113.7"])) == [relay])
    }

    @Test func portRangeParsing() throws {
        #expect(try ICEConfiguration.parsePortRange("50000-50999") == 50000...50999)
        for bad in ["", "50000", "0-10", "10-5", "1-70000", "a-b", "1-2-3"] {
            #expect(throws: TransportConfigurationError.invalidPortRange(bad)) { try ICEConfiguration.parsePortRange(bad) }
        }
    }
}

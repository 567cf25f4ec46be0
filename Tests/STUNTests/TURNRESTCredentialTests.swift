import STUN
import Testing

/// The TURN REST API's ephemeral credentials (draft-uberti-behave-turn-rest-00 2.2).
@Suite struct TURNRESTCredentialTests {
    @Test func passwordIsBase64OfHMACSHA1() {
        // Computed independently: base64(HMAC-SHA1("north", username)).
        #expect(TURNRESTCredential.password(secret: "north", username: "1700000000:alice") == "Cd/49soE35ICqcJF/bCTn8Z4OyE=")
        #expect(TURNRESTCredential.password(secret: "north", username: "1700000600:bob") == "J8IP49Hz7aUcAstwXwJXfukSnsw=")
        #expect(TURNRESTCredential.password(secret: "south", username: "1700000000:alice") != "Cd/49soE35ICqcJF/bCTn8Z4OyE=")
    }

    @Test func make() {
        let credential = TURNRESTCredential.make(secret: "north", identity: "bob", now: 1_700_000_000, lifetime: 600)
        #expect(credential.username == "1700000600:bob")
        #expect(credential.password == "J8IP49Hz7aUcAstwXwJXfukSnsw=")
        let parsed = TURNRESTCredential.parse(username: credential.username)
        #expect(parsed?.expiry == 1_700_000_600)
        #expect(parsed?.identity == "bob")
    }

    @Test func parse() {
        #expect(TURNRESTCredential.parse(username: "1700000000")?.identity == "")
        #expect(TURNRESTCredential.parse(username: "1700000000:")?.identity == "")
        #expect(TURNRESTCredential.parse(username: "1:a:b")?.identity == "a:b")
        #expect(TURNRESTCredential.parse(username: "999999999999:x")?.expiry == 999_999_999_999)
        for junk in ["", ":alice", "alice", "alice:1700000000", "+1:x", "-1:x", "1 :x", "1234567890123:x", "１:x", "0x10:x"] {
            #expect(TURNRESTCredential.parse(username: junk) == nil, "\(junk)")
        }
    }
}

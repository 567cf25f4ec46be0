import STUN
import Testing
@testable import TURN

@Suite("CredentialStore and TURN REST credentials")
struct CredentialTests {
    /// A REST secret of at least 16 bytes, as `TURNConfiguration.validate()` requires.
    static let secret = "0123456789abcdef-secret"

    @Test("static users are found with their password and counted as themselves")
    func staticUsers() {
        let store = CredentialStore(realm: "sfu", users: ["alice": "wonderland", "bob": "builder"], restSecret: nil)
        #expect(store.lookup(username: "alice", now: 0) == .found(password: "wonderland", identity: "alice"))
        #expect(store.lookup(username: "bob", now: Int(Int32.max)) == .found(password: "builder", identity: "bob"))
        #expect(store.lookup(username: "carol", now: 0) == .unknownUser)
        #expect(store.lookup(username: "Alice", now: 0) == .unknownUser)
        #expect(store.lookup(username: "", now: 0) == .unknownUser)
        // Without a secret a REST-shaped name is just an unknown user.
        #expect(store.lookup(username: "4102444800:alice", now: 0) == .unknownUser)
    }

    @Test("a REST username before its expiry is found, with the HMAC password and its identity")
    func restValid() {
        let store = CredentialStore(realm: "sfu", users: [:], restSecret: Self.secret)
        // python3 -c 'import hmac,hashlib,base64; print(base64.b64encode(hmac.new(b"0123456789abcdef-secret", b"4102444800:bob", hashlib.sha1).digest()).decode())'
        #expect(store.lookup(username: "4102444800:bob", now: 1_700_000_000) == .found(password: "jIh8apx8cfLbsn+5Ai8y6DQn4W4=", identity: "bob"))
        // Valid up to and including its expiry second.
        #expect(store.lookup(username: "1700000000:bob", now: 1_700_000_000)
            == .found(password: TURNRESTCredential.password(secret: Self.secret, username: "1700000000:bob"), identity: "bob"))
        // No identity: the whole username is the identity quotas count against.
        #expect(store.lookup(username: "4102444800", now: 1_700_000_000)
            == .found(password: TURNRESTCredential.password(secret: Self.secret, username: "4102444800"), identity: "4102444800"))
        #expect(store.lookup(username: "4102444800:", now: 1_700_000_000)
            == .found(password: TURNRESTCredential.password(secret: Self.secret, username: "4102444800:"), identity: "4102444800:"))
        // The identity may itself contain colons (only the first one splits).
        #expect(store.lookup(username: "4102444800:room:bob", now: 1_700_000_000)
            == .found(password: TURNRESTCredential.password(secret: Self.secret, username: "4102444800:room:bob"), identity: "room:bob"))
    }

    @Test("a REST username past its expiry is expired")
    func restExpired() {
        let store = CredentialStore(realm: "sfu", users: [:], restSecret: Self.secret)
        #expect(store.lookup(username: "1699999999:bob", now: 1_700_000_000) == .expired)
        #expect(store.lookup(username: "0:bob", now: 1_700_000_000) == .expired)
    }

    @Test("garbage usernames are unknown users", arguments: [
        "abc:x", "", ":x", "99999999999999999999:x", "+1700000000:x", "-1:x", "17e8:x", " 1700000000:x", "1700000000 :x", "١٢٣:x",
    ])
    func restGarbage(_ username: String) {
        let store = CredentialStore(realm: "sfu", users: [:], restSecret: Self.secret)
        #expect(store.lookup(username: username, now: 1_700_000_000) == .unknownUser)
    }

    @Test("static users win over the REST scheme")
    func staticBeforeREST() {
        let store = CredentialStore(realm: "sfu", users: ["4102444800:bob": "static"], restSecret: Self.secret)
        #expect(store.lookup(username: "4102444800:bob", now: 0) == .found(password: "static", identity: "4102444800:bob"))
    }

    @Test("the REST password is base64(HMAC-SHA1(secret, username)): known answers")
    func restPasswordKnownAnswers() {
        // Computed independently with
        // python3 -c 'import hmac,hashlib,base64; print(base64.b64encode(hmac.new(b"secret", b"1700000000:alice", hashlib.sha1).digest()).decode())'
        #expect(TURNRESTCredential.password(secret: "secret", username: "1700000000:alice") == "d8soP47RbdIKLDUOpnJPVQyq5Ts=")
        // RFC 2202 test case 2: HMAC-SHA1("Jefe", "what do ya want for nothing?") = effcdf6ae5eb2fa2d27416d5f184df9c259a7c79.
        #expect(TURNRESTCredential.password(secret: "Jefe", username: "what do ya want for nothing?") == "7/zfauXrL6LSdBbV8YTfnCWafHk=")
    }

    @Test("make and parse round trip, and the store accepts what make minted")
    func makeParseRoundTrip() {
        let now = 1_700_000_000
        let credential = TURNRESTCredential.make(secret: Self.secret, identity: "carol", now: now, lifetime: 86_400)
        #expect(credential.username == "1700086400:carol")
        #expect(credential.password == TURNRESTCredential.password(secret: Self.secret, username: credential.username))
        let parsed = TURNRESTCredential.parse(username: credential.username)
        #expect(parsed?.expiry == 1_700_086_400)
        #expect(parsed?.identity == "carol")

        let store = CredentialStore(realm: "sfu", users: [:], restSecret: Self.secret)
        #expect(store.lookup(username: credential.username, now: now) == .found(password: credential.password, identity: "carol"))
        #expect(store.lookup(username: credential.username, now: now + 86_400) == .found(password: credential.password, identity: "carol"))
        #expect(store.lookup(username: credential.username, now: now + 86_401) == .expired)
        // Another secret mints another password.
        #expect(TURNRESTCredential.make(secret: "another-secret-16bytes", identity: "carol", now: now, lifetime: 86_400).password != credential.password)
    }

    @Test("parse refuses what is not a REST username")
    func parseRefusals() {
        #expect(TURNRESTCredential.parse(username: "abc:x") == nil)
        #expect(TURNRESTCredential.parse(username: "") == nil)
        #expect(TURNRESTCredential.parse(username: ":x") == nil)
        #expect(TURNRESTCredential.parse(username: "99999999999999999999:x") == nil)
        #expect(TURNRESTCredential.parse(username: "12")?.expiry == 12)
        #expect(TURNRESTCredential.parse(username: "12")?.identity == "")
    }
}

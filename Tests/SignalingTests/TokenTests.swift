import Foundation
import JWTKit
import SFU
import Testing
@testable import Signaling

/// Minting and checking join tokens (RFC 7519; HS256 only).
@Suite struct TokenTests {
    static let key = try! APIKey(id: "testkey", secret: String(repeating: "0123456789abcdef", count: 4)) // 64 bytes: HS512 tests reuse it
    static let otherKey = try! APIKey(id: "otherkey", secret: "other-secret-0123456789abcdef-012345678")
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    func verifier(at date: Date = now, keys: [APIKey] = [key, otherKey]) async -> TokenVerifier {
        await TokenVerifier(keys: keys, now: { date })
    }

    func mint(_ key: APIKey = key, room: String = "room", identity: String = "alice", grants: Grants = Grants(),
              ttl: Duration = .seconds(600), at date: Date = now) async throws -> String {
        try await TokenIssuer(key: key).mint(room: room, identity: identity, name: "Alice", grants: grants, ttl: ttl, now: date)
    }

    func refusal(_ token: String?, verifier: TokenVerifier) async -> TokenError? {
        do {
            _ = try await verifier.verify(token)
            return nil
        } catch {
            return error
        }
    }

    static func base64URL(_ text: String) -> String {
        Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    @Test func mintThenVerify() async throws {
        let token = try await mint(grants: Grants(publish: false, subscribe: true, admin: true))
        let claims = try await verifier().verify(token)
        #expect(claims.room == "room" && claims.identity == "alice" && claims.name == "Alice" && claims.apiKey == "testkey")
        #expect(claims.grants == Grants(publish: false, subscribe: true, admin: true))
        #expect(claims.expiresAt == Self.now.addingTimeInterval(600))
        // Header: HS256 with kid = API key (RFC 7515 4.1.1, 4.1.4).
        let header = try JSONValue.parse(Data(base64Encoded: String(token.split(separator: ".")[0]) + "==")
                                         ?? Data(base64Encoded: String(token.split(separator: ".")[0]) + "=") ?? Data())
        #expect(header["alg"] == "HS256" && header["kid"] == "testkey")
    }

    @Test func severalKeys() async throws {
        let token = try await mint(Self.otherKey)
        #expect(try await verifier().verify(token).apiKey == "otherkey")
        #expect(await refusal(token, verifier: verifier(keys: [Self.key])) == .invalid("unknown API key"))
    }

    @Test func expiredAndLeeway() async throws {
        let token = try await mint(ttl: .seconds(60))
        #expect(await refusal(token, verifier: verifier(at: Self.now.addingTimeInterval(120))) == .expired)
        // Within the 5 s leeway it still passes.
        #expect(try await verifier(at: Self.now.addingTimeInterval(63)).verify(token).identity == "alice")
        #expect(TokenError.expired.code == .tokenExpired)
    }

    @Test func notYetValid() async throws {
        let token = try await mint(at: Self.now.addingTimeInterval(60))
        #expect(await refusal(token, verifier: verifier())?.code == .tokenInvalid)
    }

    @Test func forgedWithAnotherSecret() async throws {
        let forger = try APIKey(id: "testkey", secret: "not-the-secret-0123456789abcdef-0123456")
        let token = try await mint(forger)
        #expect(await refusal(token, verifier: verifier()) == .invalid("bad signature"))
        // A tampered payload breaks the signature too.
        var parts = try await mint().split(separator: ".").map(String.init)
        parts[1] = Self.base64URL(#"{"iss":"testkey","sub":"mallory","room":"room","exp":1900000000,"grants":{"admin":true}}"#)
        #expect(await refusal(parts.joined(separator: "."), verifier: verifier()) == .invalid("bad signature"))
    }

    @Test func algorithmNoneIsRefused() async throws {
        let header = Self.base64URL(#"{"alg":"none","typ":"JWT","kid":"testkey"}"#)
        let payload = Self.base64URL(#"{"iss":"testkey","sub":"a","room":"r","exp":1900000000,"grants":{}}"#)
        #expect(await refusal("\(header).\(payload).", verifier: verifier())?.code == .tokenInvalid)
        #expect(await refusal("\(header).\(payload)", verifier: verifier())?.code == .tokenInvalid)
    }

    @Test func hs512WithTheRightSecretIsRefused() async throws {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: Self.key.secret), digestAlgorithm: .sha512, kid: JWKIdentifier(string: "testkey"))
        let claims = JoinClaims(apiKey: "testkey", identity: "a", room: "r", expiresAt: Self.now.addingTimeInterval(60), grants: Grants())
        let token = try await keys.sign(claims, kid: JWKIdentifier(string: "testkey"))
        #expect(await refusal(token, verifier: verifier()) == .invalid("algorithm HS512 is not accepted (HS256 only)"))
    }

    @Test func headerClaimingHS256OverAnHS512SignatureIsRefused() async throws {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: Self.key.secret), digestAlgorithm: .sha512, kid: JWKIdentifier(string: "testkey"))
        let claims = JoinClaims(apiKey: "testkey", identity: "a", room: "r", expiresAt: Self.now.addingTimeInterval(60), grants: Grants())
        var header = JWTHeader()
        header.alg = "HS256"
        let token = try await keys.sign(claims, kid: JWKIdentifier(string: "testkey"), header: header)
        #expect(await refusal(token, verifier: verifier())?.code == .tokenInvalid)
    }

    @Test(arguments: ["garbage", "a.b.c", "a.b", "....", "eyJhbGciOiJIUzI1NiJ9.%%%.abc", String(repeating: "a", count: 5000)])
    func garbage(_ token: String) async {
        #expect(await refusal(token, verifier: verifier())?.code == .tokenInvalid)
    }

    @Test func missing() async {
        #expect(await refusal(nil, verifier: verifier()) == .missing)
        #expect(await refusal("", verifier: verifier()) == .missing)
        #expect(TokenError.missing.code == .tokenMissing)
    }

    @Test func missingClaimsAndDefaultGrants() async throws {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: Self.key.secret), digestAlgorithm: .sha256, kid: JWKIdentifier(string: "testkey"))
        struct Loose: JWTPayload {
            var iss: String
            var sub: String?
            var room: String?
            var exp: Int?
            var grants: [String: Bool]?
            func verify(using algorithm: some JWTAlgorithm) async throws {}
        }
        let noExpiry = try await keys.sign(Loose(iss: "testkey", sub: "a", room: "r", exp: nil, grants: [:]), kid: JWKIdentifier(string: "testkey"))
        #expect(await refusal(noExpiry, verifier: verifier())?.code == .tokenInvalid)
        let noRoom = try await keys.sign(Loose(iss: "testkey", sub: "a", room: nil, exp: 1_900_000_000, grants: [:]), kid: JWKIdentifier(string: "testkey"))
        #expect(await refusal(noRoom, verifier: verifier())?.code == .tokenInvalid)
        let emptyRoom = try await keys.sign(Loose(iss: "testkey", sub: "a", room: "", exp: 1_900_000_000, grants: [:]), kid: JWKIdentifier(string: "testkey"))
        #expect(await refusal(emptyRoom, verifier: verifier())?.code == .tokenInvalid)
        // Grants not given are not granted.
        let bare = try await keys.sign(Loose(iss: "testkey", sub: "a", room: "r", exp: 1_900_000_000, grants: ["subscribe": true]),
                                       kid: JWKIdentifier(string: "testkey"))
        #expect(try await verifier().verify(bare).grants == Grants(publish: false, subscribe: true, admin: false))
        // iss must be the signing key.
        let wrongIssuer = try await keys.sign(Loose(iss: "otherkey", sub: "a", room: "r", exp: 1_900_000_000, grants: [:]),
                                              kid: JWKIdentifier(string: "testkey"))
        #expect(await refusal(wrongIssuer, verifier: verifier()) == .invalid("iss does not match the signing key"))
    }

    @Test func tokenWithoutKidIsFoundByIssuer() async throws {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: Self.key.secret), digestAlgorithm: .sha256)
        let claims = JoinClaims(apiKey: "testkey", identity: "a", room: "r", expiresAt: Self.now.addingTimeInterval(60), grants: Grants())
        let token = try await keys.sign(claims)
        #expect(try await verifier().verify(token).identity == "a")
    }

    @Test func issuerRefusesBadClaims() async {
        await #expect(throws: TokenIssueError.self) { try await mint(room: "") }
        await #expect(throws: TokenIssueError.self) { try await mint(identity: String(repeating: "x", count: 300)) }
        await #expect(throws: TokenIssueError.self) { try await mint(ttl: .zero) }
    }

    @Test func timingsAreRecorded() async throws {
        let verifier = await verifier()
        let token = try await mint()
        for _ in 0..<10 { _ = try await verifier.verify(token) }
        _ = await refusal("garbage", verifier: verifier)
        let snapshot = await verifier.timings.snapshot()
        #expect(snapshot.count == 11 && snapshot.window == 11)
        #expect(snapshot.p50Microseconds <= snapshot.p95Microseconds && snapshot.p95Microseconds <= snapshot.p99Microseconds)
        #expect(snapshot.p99Microseconds <= snapshot.maxMicroseconds)
    }

    @Test func percentilesAreNearestRank() async {
        let timings = TokenTimings(capacity: 100)
        for value in 1...200 { await timings.record(.microseconds(value)) }  // the ring keeps 101...200
        let snapshot = await timings.snapshot()
        #expect(snapshot.count == 200 && snapshot.window == 100)
        #expect(snapshot.p50Microseconds == 150 && snapshot.p95Microseconds == 195 && snapshot.p99Microseconds == 199)
        #expect(snapshot.maxMicroseconds == 200)
    }

    @Test func apiKeyParsing() throws {
        let key = try APIKey.parse("k1:secret:with:colons-0123456789abcdef0123")
        #expect(key.id == "k1" && key.secret == "secret:with:colons-0123456789abcdef0123")
        #expect(throws: ConfigurationError.self) { try APIKey.parse("nocolon") }
        #expect(throws: ConfigurationError.self) { try APIKey.parse(":secret-0123456789abcdef0123456789ab") }
        #expect(throws: ConfigurationError.self) { try APIKey.parse("k1:short") }
        #expect(try APIKey.parseList("a:0123456789abcdef0123456789abcdef, b:0123456789abcdef0123456789abcdefg").map(\.id) == ["a", "b"])
        #expect(!key.description.contains("secret"))
    }
}

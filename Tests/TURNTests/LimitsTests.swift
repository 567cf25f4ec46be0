import STUN
import Testing
@testable import TURN

@Suite("AuthenticationFailureLimiter")
struct AuthenticationFailureLimiterTests {
    @Test("the limit reached within the window limits the client until the window passes")
    func limitAndWindow() {
        let limiter = AuthenticationFailureLimiter(limit: 3, windowSeconds: 10)
        let client = ip("192.0.2.1")
        #expect(!limiter.isLimited(client, now: 100))
        limiter.recordFailure(client, now: 100)
        limiter.recordFailure(client, now: 101)
        #expect(!limiter.isLimited(client, now: 102))
        limiter.recordFailure(client, now: 102)
        #expect(limiter.isLimited(client, now: 102))
        #expect(limiter.isLimited(client, now: 109))
        // The window (from the first failure) has passed.
        #expect(!limiter.isLimited(client, now: 110))
        // And the count starts over.
        limiter.recordFailure(client, now: 111)
        #expect(!limiter.isLimited(client, now: 111))
    }

    @Test("failures spread over more than one window never limit")
    func spreadFailures() {
        let limiter = AuthenticationFailureLimiter(limit: 3, windowSeconds: 10)
        let client = ip("192.0.2.1")
        for second in stride(from: UInt32(0), to: 100, by: 6) {
            limiter.recordFailure(client, now: second)
            #expect(!limiter.isLimited(client, now: second))
        }
    }

    @Test("other clients are unaffected")
    func otherClients() {
        let limiter = AuthenticationFailureLimiter(limit: 2, windowSeconds: 10)
        let guesser = ip("192.0.2.1")
        limiter.recordFailure(guesser, now: 50)
        limiter.recordFailure(guesser, now: 50)
        #expect(limiter.isLimited(guesser, now: 51))
        #expect(!limiter.isLimited(ip("192.0.2.2"), now: 51))
        #expect(!limiter.isLimited(ip("2001:db8::1"), now: 51))
        limiter.recordFailure(ip("192.0.2.2"), now: 51)
        #expect(!limiter.isLimited(ip("192.0.2.2"), now: 51))
        #expect(limiter.isLimited(guesser, now: 51))
    }
}

/// `TokenBucket` behind a reference, so `#expect` can call its mutating `take`.
final class Meter {
    private var bucket: TokenBucket
    init(bytesPerSecond: Int) { bucket = TokenBucket(bytesPerSecond: bytesPerSecond) }
    func take(_ bytes: Int, nanoseconds: UInt64) -> Bool { bucket.take(bytes, nanoseconds: nanoseconds) }
}

@Suite("TokenBucket")
struct TokenBucketTests {
    static let second: UInt64 = 1_000_000_000

    @Test("rate 0 is unlimited")
    func unlimited() {
        let bucket = Meter(bytesPerSecond: 0)
        for _ in 0..<1000 { #expect(bucket.take(65_535, nanoseconds: 0)) }
        #expect(bucket.take(Int.max, nanoseconds: 12_345))
    }

    @Test("refuses beyond the one-second burst")
    func refusesBeyondBurst() {
        let bucket = Meter(bytesPerSecond: 1000)
        #expect(bucket.take(600, nanoseconds: 0))
        #expect(bucket.take(400, nanoseconds: 0))
        #expect(!bucket.take(1, nanoseconds: 0))
        #expect(!bucket.take(1, nanoseconds: 100))
        let big = Meter(bytesPerSecond: 1000)
        #expect(!big.take(1001, nanoseconds: 0))
        #expect(big.take(1000, nanoseconds: 0))
    }

    @Test("refuses beyond the burst when the monotonic clock is far from zero")
    func refusesBeyondBurstWithRealisticClock() {
        // The server feeds DispatchTime.now().uptimeNanoseconds: hours of uptime, not 0.
        let start = 3600 * Self.second
        let bucket = Meter(bytesPerSecond: 1000)
        #expect(bucket.take(1000, nanoseconds: start))
        #expect(!bucket.take(1000, nanoseconds: start + 1), "a full bucket emptied at once must not refill without time passing")
    }

    @Test("refills with time, up to the burst")
    func refills() {
        let bucket = Meter(bytesPerSecond: 1000)
        let start: UInt64 = 0
        #expect(bucket.take(1000, nanoseconds: start))
        #expect(!bucket.take(100, nanoseconds: start))
        // 0.1 s later: 100 bytes.
        #expect(bucket.take(100, nanoseconds: start + Self.second / 10))
        #expect(!bucket.take(1, nanoseconds: start + Self.second / 10))
        // 0.5 s after that: 500 bytes, not 501.
        #expect(!bucket.take(501, nanoseconds: start + Self.second / 10 * 6))
        #expect(bucket.take(500, nanoseconds: start + Self.second / 10 * 6))
        // A long pause refills to the burst and no further.
        #expect(!bucket.take(1001, nanoseconds: start + 100 * Self.second))
        #expect(bucket.take(1000, nanoseconds: start + 100 * Self.second))
        #expect(!bucket.take(1, nanoseconds: start + 100 * Self.second))
    }
}

@Suite("Allocation lifetime (RFC 8656 7.2)")
struct LifetimeTests {
    static func lifetime(_ value: UInt32?, _ lifetimes: TURNLifetimes = TURNLifetimes()) -> UInt32 {
        TURNLoop.lifetime(requested: value.map { STUNAttribute.lifetime($0).value }, lifetimes)
    }

    @Test("min(requested, maximum), never below the default")
    func rules() {
        #expect(Self.lifetime(nil) == 600)
        #expect(Self.lifetime(0) == 600)
        #expect(Self.lifetime(1) == 600)
        #expect(Self.lifetime(599) == 600)
        #expect(Self.lifetime(600) == 600)
        #expect(Self.lifetime(601) == 601)
        #expect(Self.lifetime(1800) == 1800)
        #expect(Self.lifetime(3600) == 3600)
        #expect(Self.lifetime(3601) == 3600)
        #expect(Self.lifetime(.max) == 3600)
    }

    @Test("follows the configured default and maximum")
    func configured() {
        var lifetimes = TURNLifetimes()
        lifetimes.defaultAllocationSeconds = 120
        lifetimes.maximumAllocationSeconds = 300
        #expect(Self.lifetime(nil, lifetimes) == 120)
        #expect(Self.lifetime(60, lifetimes) == 120)
        #expect(Self.lifetime(200, lifetimes) == 200)
        #expect(Self.lifetime(10_000, lifetimes) == 300)
    }

    @Test("a malformed LIFETIME value gets the default")
    func malformed() {
        #expect(TURNLoop.lifetime(requested: [], TURNLifetimes()) == 600)
        #expect(TURNLoop.lifetime(requested: [0, 0, 0x0E], TURNLifetimes()) == 600)
        #expect(TURNLoop.lifetime(requested: [0, 0, 0x0E, 0x10, 0], TURNLifetimes()) == 600)
    }
}

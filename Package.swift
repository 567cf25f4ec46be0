// swift-tools-version: 6.1
import PackageDescription

// Every Swift target is compiled in Swift 6 language mode with `any` required on existentials.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "swift-sfu",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "sfu", targets: ["SFUCommand"]),
        .library(name: "RTP", targets: ["RTP"]),
        .library(name: "SDP", targets: ["SDP"]),
        .library(name: "Transport", targets: ["Transport"]),
        // For the per-packet benchmarks (Benchmarks/), which run the forwarder's own values.
        .library(name: "SFU", targets: ["SFU"]),
        .library(name: "STUN", targets: ["STUN"]),
        .library(name: "TURN", targets: ["TURN"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.7.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.1.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        // C libraries: each wrapped once, found through pkg-config. Their module headers carry the
        // few static inline shims Swift cannot import directly (macros, GObject variadics).
        .systemLibrary(name: "CNice", pkgConfig: "nice", providers: [.apt(["libnice-dev"])]),
        .systemLibrary(name: "CSRTP", pkgConfig: "libsrtp2", providers: [.apt(["libsrtp2-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "COpus", pkgConfig: "opus", providers: [.apt(["libopus-dev"])]),
        // libsrtp2's AES-ICM, AES-GCM and HMAC-SHA1 on OpenSSL, registered into its crypto kernel
        // by SRTPLibrary (Debian's libsrtp2 does its crypto on NSS, which allocates per packet).
        .target(name: "CSRTPCrypto", dependencies: ["CSRTP", "COpenSSL"]),
        // recvmmsg, sendmmsg, epoll and eventfd, which Swift's Glibc module does not import.
        .target(name: "CDatagram"),

        // Protocol values: pure Swift, no I/O, no threads.
        .target(name: "RTP", swiftSettings: swiftSettings),
        .target(name: "SDP", swiftSettings: swiftSettings),
        // STUN messages (RFC 8489) and TURN's attributes and ChannelData framing (RFC 8656).
        .target(name: "STUN", dependencies: [.product(name: "Crypto", package: "swift-crypto")], swiftSettings: swiftSettings),

        // Opus encode/decode for tools and tests (the SFU itself never decodes media).
        .target(name: "OpusCodec", dependencies: ["COpus"], swiftSettings: swiftSettings),

        // ICE (libnice) + DTLS (OpenSSL) + SRTP (libsrtp2) composed into one peer transport,
        // running on media worker threads.
        .target(
            name: "Transport",
            dependencies: [
                "CNice", "CSRTP", "CSRTPCrypto", "COpenSSL", "CDatagram", "RTP", "SDP",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // Rooms, participants, published and subscribed tracks, forwarding: the SFU core.
        .target(
            name: "SFU",
            dependencies: [
                "Transport", "RTP", "SDP",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),

        // The WebSocket signaling service, join tokens, the browser client and demo page.
        .target(
            name: "Signaling",
            dependencies: [
                "SFU", "Transport", "STUN",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "signaling",
            exclude: ["README.md"],
            resources: [.copy("Public")],
            swiftSettings: swiftSettings
        ),

        // Batched UDP sockets and a readiness poller for packet paths that run their own thread.
        .target(name: "DatagramIO", dependencies: ["CDatagram", "STUN"], swiftSettings: swiftSettings),

        // The STUN/TURN relay (RFC 8489, RFC 8656, RFC 6156) on SwiftNIO: bundled in `sfu serve`,
        // alone as `sfu turn`.
        .target(
            name: "TURN",
            dependencies: [
                "STUN", "DatagramIO",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "turn",
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),

        .executableTarget(
            name: "SFUCommand",
            dependencies: [
                "Transport", "RTP", "SDP", "OpusCodec", "SFU", "Signaling", "STUN", "TURN",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // Helpers shared by the test targets (a seeded generator for fuzz tests).
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: swiftSettings),

        .testTarget(name: "RTPTests", dependencies: ["RTP", "TestSupport"], resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
        .testTarget(name: "SDPTests", dependencies: ["SDP", "TestSupport"], resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
        .testTarget(name: "STUNTests", dependencies: ["STUN", "TestSupport"], resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
        .testTarget(name: "SFUCommandTests", dependencies: ["SFUCommand"], swiftSettings: swiftSettings),
        .testTarget(name: "DatagramIOTests", dependencies: ["DatagramIO", "STUN"], swiftSettings: swiftSettings),
        .testTarget(
            name: "TURNTests",
            dependencies: ["TURN", "STUN", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "OpusCodecTests", dependencies: ["OpusCodec", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "TransportTests",
            dependencies: ["Transport", "CSRTP", "COpenSSL", "SDP", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "SFUTests", dependencies: ["SFU", "Transport", "SDP", "RTP", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "SignalingTests",
            dependencies: [
                "Signaling", "SFU", "STUN",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWSTesting", package: "hummingbird-websocket"),
                .product(name: "JWTKit", package: "jwt-kit"),
            ],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)

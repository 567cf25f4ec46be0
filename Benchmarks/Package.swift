// swift-tools-version: 6.3
import PackageDescription

// Benchmarks of the SFU's per-packet path, kept out of the root package so its build stays lean.
// Run: bash scripts/benchmark.sh (from the repository root). See docs/benchmarks.md.
//
// ordo-one/benchmark counts mallocs through its malloc interposer (the MallocInterposer trait).
// Naming only that trait also leaves out its RuntimeInterposer default, whose package is not
// needed for allocation counts.
let package = Package(
    name: "swift-sfu-benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "swift-sfu", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "PacketPath",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "RTP", package: "swift-sfu"),
                .product(name: "Transport", package: "swift-sfu"),
                .product(name: "SDP", package: "swift-sfu"),
                .product(name: "SFU", package: "swift-sfu"),
            ],
            path: "Benchmarks/PacketPath",
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")],
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

import Foundation

/// Drops UDP to and from a port range with nftables (real-peers.md: loss by nftables, no netem)
/// until `restore`, in a table of its own. Tests run inside the test command's network
/// namespace, so the rule touches nothing outside it.
final class NFTablesCut {
    static let nft = "/usr/sbin/nft"
    static var available: Bool { getuid() == 0 && FileManager.default.isExecutableFile(atPath: nft) }

    private let table: String
    private var active = true

    init(udpPorts: ClosedRange<Int>) throws {
        table = "sfu_test_cut_\(getpid())_\(udpPorts.lowerBound)"
        let ports = "\(udpPorts.lowerBound)-\(udpPorts.upperBound)"
        try Self.run("""
            table inet \(table) {
                chain output {
                    type filter hook output priority 0; policy accept;
                    udp dport \(ports) drop
                    udp sport \(ports) drop
                }
            }
            """)
    }

    func restore() throws {
        guard active else { return }
        active = false
        try Self.run("delete table inet \(table)")
    }

    deinit { try? restore() }

    private static func run(_ script: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: nft)
        process.arguments = ["-f", "-"]
        let input = Pipe()
        process.standardInput = input
        try process.run()
        input.fileHandleForWriting.write(Data(script.utf8))
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw NFTablesError(script: script, status: process.terminationStatus) }
    }

    struct NFTablesError: Error, CustomStringConvertible {
        let script: String
        let status: Int32
        var description: String { "nft -f - exited \(status) for: \(script)" }
    }
}

import ArgumentParser

/// `sfu`: the media server's command line.
@main
struct SFUCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sfu",
        abstract: "A WebRTC selective forwarding unit.",
        subcommands: [LoadCommand.self, ProbeCommand.self, ServeCommand.self, TokenCommand.self, TURNCommand.self]
    )
}

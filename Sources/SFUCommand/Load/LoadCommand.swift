import ArgumentParser
import Foundation
import Logging
import SFU
import Signaling
import Transport

/// `sfu load`: real WebRTC participants (the project's own ICE, DTLS and SRTP) that join a room
/// server through the signaling protocol, publish Opus audio and synthetic video, and measure
/// what they receive. The tool a user runs to size a deployment.
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Run WebRTC participants against a room server and report what they measured.",
        discussion: """
            Scenarios: room (one room: one publisher and --subscribers N), rooms (--rooms M rooms \
            of --participants K: one publisher and K-1 subscribers each), retry-storm (the room \
            scenario, and halfway through everyone drops without leaving and joins again at \
            once). --join-within T spreads the joins at random over T seconds (0: all at once, a \
            join storm).
            """)

    enum Scenario: String, ExpressibleByArgument, CaseIterable {
        case room, rooms
        case retryStorm = "retry-storm"
    }

    @Option(help: "sfu (this project's room protocol) or janus (Janus's VideoRoom over its WebSocket API).")
    var target: LoadTarget = .sfu

    @Option(help: "WebSocket URL (default ws://127.0.0.1:8080/ws; with --target janus, ws://127.0.0.1:8188).")
    var url: String?

    @Option(name: .customLong("api-key"), help: "KEY:SECRET that signs the participants' tokens (default: the development key).")
    var apiKey: String?

    @Option(help: "room, rooms or retry-storm.")
    var scenario: Scenario = .room

    @Option(help: "Subscribers of the one room (scenario room).")
    var subscribers: Int = 10

    @Option(help: "Rooms (scenario rooms).")
    var rooms: Int = 2

    @Option(help: "Participants per room, the publisher included (scenario rooms).")
    var participants: Int = 5

    @Option(help: "Seconds each participant stays after the last join.")
    var duration: Double = 10

    @Option(help: "Spread the joins over this many seconds (0: all at once).")
    var joinWithin: Double = 0

    @Option(help: "Video bitrate of each publisher, bits per second (0: no video).")
    var videoBitrate: Int = 1_500_000

    @Option(help: "Video frames per second.")
    var fps: Int = 30

    @Option(help: "Seconds between video keyframes.")
    var keyframeInterval: Double = 2

    @Option(help: "Video pacing rate as a multiple of the bitrate, as a browser paces (libwebrtc: 2.5); 0 sends each frame at once.")
    var pacing: Double = 2.5

    @Flag(help: "Publish no audio.")
    var noAudio = false

    @Option(help: "SRTP profiles to offer in DTLS, in preference order (AEAD_AES_128_GCM, AES_CM_128_HMAC_SHA1_80): one measures that profile.")
    var srtpProfiles = "AEAD_AES_128_GCM,AES_CM_128_HMAC_SHA1_80"

    @Option(help: "Room name (prefix, for scenario rooms); default: a random one.")
    var room: String?

    @Option(name: .customLong("bind"), help: "Local address to gather candidates on (repeatable); default: all.")
    var bindAddresses: [String] = []

    @Option(help: "Media worker threads (default: one per core).")
    var workers: Int = 0

    @Flag(help: ArgumentHelp("Publishers on a media worker of their own (media-worker-0), subscribers on the others (needs --workers 2 or more).",
                             discussion: "Browsers publish independently of what other browsers receive; on one shared worker, a publisher's send waits while the worker decrypts subscribers' packets, and the sends come out grouped. With this, the publishers' thread can also be given a higher priority (chrt, renice) than the subscribers'."))
    var publishersApart = false

    @Option(help: "Write the report (and every participant's figures) as JSON to this file.")
    var json: String?

    @Option(help: "Log level on stderr.")
    var logLevel: Logger.Level = .warning

    @Option(help: "Log lines as text or json (one object a line; default: SFU_LOG_FORMAT, else text).")
    var logFormat: LogFormat?

    func validate() throws {
        guard subscribers >= 0, subscribers <= 10_000 else { throw ValidationError("--subscribers must be 0 to 10000") }
        guard rooms >= 1, rooms <= 1000, participants >= 1, participants <= 1000 else { throw ValidationError("--rooms and --participants must be 1 to 1000") }
        guard duration > 0, duration <= 86_400 else { throw ValidationError("--duration must be positive (seconds, at most a day)") }
        guard joinWithin >= 0, joinWithin <= 3600 else { throw ValidationError("--join-within must be 0 to 3600 seconds") }
        guard videoBitrate >= 0, videoBitrate <= 100_000_000 else { throw ValidationError("--video-bitrate must be 0 to 100000000") }
        guard (1...120).contains(fps) else { throw ValidationError("--fps must be 1 to 120") }
        guard keyframeInterval > 0 else { throw ValidationError("--keyframe-interval must be positive") }
        guard pacing == 0 || (1...100).contains(pacing) else { throw ValidationError("--pacing must be 0 or 1 to 100") }
        guard workers >= 0, workers <= 1024 else { throw ValidationError("--workers must be 0 (one per core) to 1024") }
        if publishersApart, workers == 1 || (workers == 0 && ProcessInfo.processInfo.activeProcessorCount < 2) {
            throw ValidationError("--publishers-apart needs at least two workers (--workers 2)")
        }
        if let url, !(url.hasPrefix("ws://") || url.hasPrefix("wss://")) { throw ValidationError("--url must be a ws:// or wss:// URL") }
        if let apiKey { do { _ = try APIKey.parse(apiKey) } catch { throw ValidationError("--api-key: \(error)") } }
        do { _ = try SRTPProfile.parseList(srtpProfiles) } catch { throw ValidationError("--srtp-profiles: \(error)") }
    }

    func run() async throws {
        try bootstrapLogging(level: logLevel, format: logFormat)
        let logger = Logger(label: "sfu.load")
        let key = try apiKey.map { try APIKey.parse($0) } ?? DevelopmentCredentials.apiKey
        let issuer = await TokenIssuer(key: key)
        let plans = makePlans()
        let pool = MediaWorkerPool(count: workers > 0 ? workers : ProcessInfo.processInfo.activeProcessorCount)
        let context = try DTLSContext(certificate: DTLSCertificate.generate(), srtpProfiles: SRTPProfile.parseList(srtpProfiles))
        let ice = ICEConfiguration(bindAddresses: bindAddresses)
        let media = LoadMediaSettings(audio: !noAudio, videoBitsPerSecond: videoBitrate, framesPerSecond: fps, keyframeIntervalSeconds: keyframeInterval,
                                      pacingFactor: pacing)
        // Packets one subscriber may see: every publisher in its room, audio and video.
        let packetsPerSecond = (noAudio ? 0 : 50) + (videoBitrate > 0 ? max(fps, videoBitrate / 8 / SyntheticVideoSource.maximumPayload) + fps : 0)
        let expected = Int(Double(packetsPerSecond) * (duration + joinWithin + 5))

        let start = ContinuousClock.now + .milliseconds(200)
        let end = start + .seconds(joinWithin) + .seconds(duration)
        let url = self.url ?? (target == .janus ? "ws://127.0.0.1:8188" : "ws://127.0.0.1:8080/ws")
        let target = self.target
        StandardStream.error.write("sfu load: \(plans.count) participants (\(scenario.rawValue)) against \(url) for \(String(format: "%.0f", joinWithin + duration)) s\n")
        let outcomes = await withTaskGroup(of: ParticipantOutcome.self) { group in
            var subscriberIndex = 0
            for (index, plan) in plans.enumerated() {
                let worker: MediaWorker
                if !publishersApart {
                    worker = pool.worker(for: index)
                } else if plan.publishes {
                    worker = pool.workers[0]
                } else {
                    worker = pool.workers[1 + subscriberIndex % (pool.workers.count - 1)]
                    subscriberIndex += 1
                }
                let participant = LoadParticipant(plan: plan, url: url, issuer: issuer, worker: worker, context: context,
                                                  ice: ice, media: media, expectedPackets: plan.publishes ? 0 : expected, target: target,
                                                  logger: logger)
                group.addTask { await participant.run(start: start, end: end) }
            }
            var all: [ParticipantOutcome] = []
            for await outcome in group { all.append(outcome) }
            return all.sorted { ($0.room, $0.identity) < ($1.room, $1.identity) }
        }
        pool.stop()
        // A run cut short (the server went away, sessions ended) still reports what was measured
        // until then, and says so.
        let early = outcomes.filter { !$0.completed }.count
        let interrupted = early > 0 ? "\(early) of \(outcomes.count) participants did not stay to the end of the run" : nil
        let report = LoadReport(scenario: scenario.rawValue, url: url, durationSeconds: start.duration(to: .now).milliseconds / 1000,
                                outcomes: outcomes, interrupted: interrupted)
        print(report.text)
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            do {
                try encoder.encode(report).write(to: URL(fileURLWithPath: json))
            } catch {
                throw CommandFailure("cannot write \(json): \(error.localizedDescription)")
            }
        }
        if report.joined < report.participants || report.failed > 0 || interrupted != nil {
            StandardStream.error.write("sfu load: the run had failures (exit status 2)\n")
            throw ExitCode(2)
        }
    }

    private func makePlans() -> [ParticipantPlan] {
        let base = room ?? "load-\(UInt32.random(in: 0...UInt32.max))"
        func delay() -> Duration { joinWithin > 0 ? .milliseconds(Int64(Double.random(in: 0...joinWithin) * 1000)) : .zero }
        switch scenario {
        case .room, .retryStorm:
            // The storm: everyone drops at once, halfway through the time after the last join.
            let drop: Duration? = scenario == .retryStorm ? .milliseconds(Int64((joinWithin + duration / 2) * 1000)) : nil
            var plans = [ParticipantPlan(room: base, identity: "publisher", publishes: true, subscribes: false, startAfter: .zero, dropAfter: drop)]
            for index in 0..<subscribers {
                plans.append(ParticipantPlan(room: base, identity: "subscriber-\(index)", publishes: false, subscribes: true,
                                             startAfter: delay(), dropAfter: drop))
            }
            return plans
        case .rooms:
            var plans: [ParticipantPlan] = []
            for roomIndex in 0..<rooms {
                let name = "\(base)-\(roomIndex)"
                plans.append(ParticipantPlan(room: name, identity: "publisher", publishes: true, subscribes: false, startAfter: delay()))
                for index in 1..<participants {
                    plans.append(ParticipantPlan(room: name, identity: "subscriber-\(index)", publishes: false, subscribes: true, startAfter: delay()))
                }
            }
            return plans
        }
    }
}

extension LoadTarget: ExpressibleByArgument {}

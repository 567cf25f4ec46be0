import SFU
import Transport

/// The SFU's figures read at scrape time, in the Prometheus text format (0.0.4): the forwarding
/// latency histogram (kept per worker without locks, merged here), worker CPU and forwarded
/// packets, and per-room and per-participant series. Participant series exist while the
/// participant is in the room, so no stale series pile up.
public enum StatisticsExposition {
    public static func render(_ statistics: ServiceStatistics, into text: inout String) {
        var latency = LatencyHistogram(), wait = LatencyHistogram()
        for worker in statistics.workers {
            latency.merge(worker.forwardingLatency)
            wait.merge(worker.receiveWait)
        }
        histogram(&text, "sfu_forwarding_latency_seconds", latency,
                  "From a packet's arrival (the kernel's receive time) to each forwarded copy's send.")
        histogram(&text, "sfu_receive_wait_seconds", wait,
                  "From the kernel's receive time of an RTP packet to its media worker reading it: time queued behind other work.")

        let workers: [(String, String, String, (WorkerStatistics) -> String)] = [
            ("sfu_worker_cpu_seconds_total", "counter", "CPU time used by each media worker thread.", { "\($0.cpuSeconds)" }),
            ("sfu_worker_forwarded_packets_total", "counter", "Forwarded copies sent by each media worker.", { "\($0.packetsForwarded)" }),
            ("sfu_worker_direct_datagrams_total", "counter",
             "Datagrams each media worker's loop read straight from media sockets (the rest went through libnice).", { "\($0.directDatagrams)" }),
            ("sfu_worker_glib_iterations_total", "counter",
             "GLib main loop iterations each media worker ran (timers, posted work, datagrams for libnice).", { "\($0.glibIterations)" }),
            ("sfu_worker_held_datagrams_total", "counter",
             "Datagrams each media worker held while handling a read of a media socket and sent at its end.", { "\($0.heldDatagramsSent)" }),
            ("sfu_worker_segmented_datagrams_total", "counter",
             "Held datagrams that left in runs of two or more to one socket, one sendmsg with UDP segmentation (GSO) a run.",
             { "\($0.heldDatagramsInRuns)" }),
            ("sfu_worker_segmented_sends_total", "counter", "Runs of held datagrams sent with UDP segmentation (GSO), one sendmsg each.",
             { "\($0.heldRuns)" }),
            ("sfu_worker_held_datagrams_dropped_total", "counter",
             "Held datagrams dropped: the kernel refused them (a full send buffer) or their socket closed while held.",
             { "\($0.heldDatagramsDropped)" }),
            ("sfu_worker_rooms", "gauge", "Rooms on each media worker.", { "\($0.rooms)" }),
        ]
        for (name, type, help, value) in workers {
            family(&text, name, type, help, statistics.workers.map { ("worker=\"\($0.index)\"", value($0)) })
        }
        family(&text, "sfu_rooms", "gauge", "Open rooms.", [("", "\(statistics.rooms.count)")])
        family(&text, "sfu_participants", "gauge", "Participants in all rooms.", [("", "\(statistics.participantCount)")])

        let rooms: [(String, String, String, (RoomStatistics) -> Int)] = [
            ("sfu_room_participants", "Participants per room.", "gauge", { $0.participants.count }),
            ("sfu_room_bitrate_in_bits_per_second", "RTP received from the room's publishers, last second.", "gauge", { $0.bitrateInBitsPerSecond }),
            ("sfu_room_bitrate_out_bits_per_second", "RTP sent to the room's subscribers, last second.", "gauge", { $0.bitrateOutBitsPerSecond }),
        ]
        for (name, help, type, value) in rooms {
            family(&text, name, type, help, statistics.rooms.map { ("room=\"\(escape($0.name))\"", "\(value($0))") })
        }

        let participants: [(String, String, String, (ParticipantStatistics) -> String?)] = [
            ("sfu_participant_bitrate_in_bits_per_second", "gauge", "RTP received from the participant, last second.", { "\($0.bitrateInBitsPerSecond)" }),
            ("sfu_participant_bitrate_out_bits_per_second", "gauge", "RTP sent to the participant, last second.", { "\($0.bitrateOutBitsPerSecond)" }),
            ("sfu_participant_loss_in_ratio", "gauge", "Packets lost of what the participant published (RFC 3550 A.3).", { "\($0.lossRatioIn)" }),
            ("sfu_participant_jitter_in_seconds", "gauge", "Highest interarrival jitter of the participant's published streams.", { "\($0.jitterInSeconds)" }),
            ("sfu_participant_loss_out_ratio", "gauge", "Fraction lost the participant last reported for what it receives.", { $0.lossRatioOut.map { "\($0)" } }),
            ("sfu_participant_jitter_out_seconds", "gauge", "Jitter the participant last reported for what it receives.", { $0.jitterOutSeconds.map { "\($0)" } }),
            ("sfu_participant_round_trip_seconds", "gauge", "Round trip from the participant's receiver reports (RFC 3550 6.4.1).", { $0.roundTripSeconds.map { "\($0)" } }),
            ("sfu_participant_nacks_received_total", "counter", "Generic NACKs from the participant (RFC 4585).", { "\($0.nacksReceived)" }),
            ("sfu_participant_plis_received_total", "counter", "Picture loss indications from the participant.", { "\($0.plisReceived)" }),
            ("sfu_participant_firs_received_total", "counter", "Full intra requests from the participant (RFC 5104).", { "\($0.firsReceived)" }),
            ("sfu_participant_retransmissions_sent_total", "counter", "Packets resent to the participant for its NACKs.",
             { "\($0.retransmissionsSent)" }),
            ("sfu_participant_retransmissions_refused_total", "counter",
             "Packets the participant NACKed and was not resent: again within a round trip, or beyond its retransmission budget.",
             { "\($0.retransmissionsRefused)" }),
            ("sfu_participant_feedback_ignored_total", "counter", "NACKs, PLIs and FIRs from the participant about streams it is not sent.",
             { "\($0.feedbackIgnored)" }),
            ("sfu_participant_keyframe_requests_sent_total", "counter", "PLIs sent to the participant as a publisher.", { "\($0.keyframeRequestsSent)" }),
            ("sfu_participant_congestion_feedback_sent_total", "counter",
             "Transport-wide congestion control feedback messages sent to the participant as a publisher.", { "\($0.congestionFeedbackSent)" }),
            ("sfu_participant_nacks_sent_total", "counter", "NACKs sent to the participant as a publisher for packets that did not arrive.",
             { "\($0.nacksSent)" }),
            ("sfu_participant_packets_repaired_in_total", "counter", "Packets of its published streams repaired by its retransmissions.",
             { "\($0.packetsRepairedIn)" }),
            ("sfu_participant_estimated_bandwidth_out_bits_per_second", "gauge",
             "Send-side bandwidth estimate towards the participant, from its transport-wide feedback.",
             { $0.bandwidth.map { "\($0.estimatedBitsPerSecond)" } }),
            ("sfu_participant_congestion_feedback_received_total", "counter",
             "Transport-wide congestion control feedback messages from the participant as a subscriber.",
             { $0.bandwidth.map { "\($0.feedbackReceived)" } }),
            ("sfu_participant_congestion_feedback_unmatched_total", "counter",
             "Packet statuses in the participant's feedback for packets the SFU did not send to it.",
             { $0.bandwidth.map { "\($0.feedbackUnmatched)" } }),
            ("sfu_participant_bandwidth_probes_sent_total", "counter", "Bandwidth probe clusters sent to the participant.",
             { $0.bandwidth.map { "\($0.probesSent)" } }),
            ("sfu_participant_bandwidth_probes_succeeded_total", "counter", "Probes that found more bandwidth than the estimate held.",
             { $0.bandwidth.map { "\($0.probesSucceeded)" } }),
        ]
        for (name, type, help, value) in participants {
            var rows: [(String, String)] = []
            for room in statistics.rooms {
                for participant in room.participants {
                    guard let figure = value(participant) else { continue }
                    rows.append(("room=\"\(escape(room.name))\",participant=\"\(escape(participant.id))\"", figure))
                }
            }
            family(&text, name, type, help, rows)
        }

        // Ingest health: one series per published stream (labels room, participant, track, rid).
        let layers: [(String, String, String, (LayerStatistics) -> String?)] = [
            ("sfu_track_bitrate_in_bits_per_second", "gauge", "RTP received on the stream, last second.", { "\($0.bitrateBitsPerSecond)" }),
            ("sfu_track_frames_per_second", "gauge", "Video frames completed on the stream, last second.", { $0.framesPerSecond.map { "\($0)" } }),
            ("sfu_track_loss_in_ratio", "gauge", "Packets lost of the stream (RFC 3550 A.3).", { "\($0.lossRatio)" }),
            ("sfu_track_jitter_in_seconds", "gauge", "Interarrival jitter of the stream (RFC 3550 6.4.1).", { "\($0.jitterSeconds)" }),
            ("sfu_track_keyframes_total", "counter", "Keyframes received on the stream.", { "\($0.keyframes)" }),
            ("sfu_track_keyframe_interval_seconds", "gauge", "The last interval between keyframes the publisher sent unasked.",
             { $0.keyframeIntervalSeconds.map { "\($0)" } }),
            ("sfu_track_irregular_keyframe_intervals_total", "counter",
             "Keyframe intervals under half or over 1.5 times the mean of the earlier ones (keyframes asked for excluded).",
             { "\($0.irregularKeyframeIntervals)" }),
        ]
        for (name, type, help, value) in layers {
            var rows: [(String, String)] = []
            for room in statistics.rooms {
                for participant in room.participants {
                    for track in participant.tracks {
                        for layer in track.layers {
                            guard let figure = value(layer) else { continue }
                            rows.append(("room=\"\(escape(room.name))\",participant=\"\(escape(participant.id))\",track=\"\(escape(track.id))\","
                                         + "rid=\"\(escape(layer.rid ?? ""))\"", figure))
                        }
                    }
                }
            }
            family(&text, name, type, help, rows)
        }
    }

    /// One metric family: its HELP and TYPE lines, then a sample per (labels, value) row.
    private static func family(_ text: inout String, _ name: String, _ type: String, _ help: String, _ rows: [(labels: String, value: String)]) {
        header(&text, name, type, help)
        for row in rows { text += row.labels.isEmpty ? "\(name) \(row.value)\n" : "\(name){\(row.labels)} \(row.value)\n" }
    }

    private static func histogram(_ text: inout String, _ name: String, _ histogram: LatencyHistogram, _ help: String) {
        header(&text, name, "histogram", help)
        var cumulative: UInt64 = 0
        for (index, count) in histogram.counts.enumerated() {
            cumulative += count
            let bound = index < LatencyHistogram.boundsNanoseconds.count
                ? seconds(LatencyHistogram.boundsNanoseconds[index]) : "+Inf"
            text += "\(name)_bucket{le=\"\(bound)\"} \(cumulative)\n"
        }
        text += "\(name)_sum \(seconds(Int64(histogram.sumNanoseconds)))\n"
        text += "\(name)_count \(histogram.count)\n"
    }

    private static func header(_ text: inout String, _ name: String, _ type: String, _ help: String) {
        text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
    }

    private static func seconds(_ nanoseconds: Int64) -> String { "\(Double(nanoseconds) / 1e9)" }

    /// A label value in the text format: backslash, double quote and newline escaped.
    static func escape(_ value: String) -> String {
        var escaped = ""
        for character in value {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}

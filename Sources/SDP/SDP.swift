// The SDP module: SDP (RFC 8866) values, a parser and a writer, and JSEP (RFC 8829) offer/answer
// for a unified-plan SFU. Pure Swift, no I/O, no threads: every type is a Sendable value.
//
// Layout, one concept per file:
// - Model/: `SessionDescription`, `MediaDescription`, lines (`Origin`, `Connection`, ...),
//   `SDPParser` (text -> values, bounded by `SDPLimits`, failing with `SDPParseError`) and the
//   writer (`SessionDescription.text`, CRLF).
// - Attributes/: one typed value per attribute (`Fingerprint`, `Candidate`, `RID`, `Simulcast`,
//   `ExtMap`, ...) and `SDPAttribute`, the enum an a= line is parsed into once.
// - Codecs/: `Codec`, H.264 profile-level-id rules (`H264Parameters`), `CodecCapabilities`.
// - Negotiation/: `makeAnswer(to:options:)` for browser offers, `OfferBuilder` for our own
//   offers, and the `NegotiatedSession` summary both produce.

import Foundation
import Testing
@testable import Transport

@Suite struct DTLSCertificateTests {
    @Test func aGeneratedCertificateHasASHA256Fingerprint() throws {
        let certificate = try DTLSCertificate.generate()
        #expect(certificate.fingerprint.algorithm == "sha-256")
        #expect(certificate.fingerprint.bytes.count == 32)
        #expect(try DTLSCertificate.generate().fingerprint != certificate.fingerprint, "each start-up gets a new identity")
    }

    @Test func aSavedIdentityLoadsBackWithTheSameFingerprint() throws {
        let original = try DTLSCertificate.generate()
        let (certificatePEM, keyPEM) = original.pem()
        #expect(certificatePEM.hasPrefix("-----BEGIN CERTIFICATE-----"))
        #expect(keyPEM.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sfu-cert-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let certificatePath = directory.appendingPathComponent("cert.pem").path
        let keyPath = directory.appendingPathComponent("key.pem").path
        try certificatePEM.write(toFile: certificatePath, atomically: true, encoding: .utf8)
        try keyPEM.write(toFile: keyPath, atomically: true, encoding: .utf8)
        let loaded = try DTLSCertificate.load(certificatePath: certificatePath, keyPath: keyPath)
        #expect(loaded.fingerprint == original.fingerprint)

        // A key that does not belong to the certificate is refused.
        let otherKeyPath = directory.appendingPathComponent("other.pem").path
        try DTLSCertificate.generate().pem().key.write(toFile: otherKeyPath, atomically: true, encoding: .utf8)
        #expect(throws: DTLSError.self) { try DTLSCertificate.load(certificatePath: certificatePath, keyPath: otherKeyPath) }
        // Missing and garbage files are typed errors too.
        #expect(throws: DTLSError.self) { try DTLSCertificate.load(certificatePath: directory.path + "/nope.pem", keyPath: keyPath) }
        try "not a certificate".write(toFile: certificatePath, atomically: true, encoding: .utf8)
        #expect(throws: DTLSError.self) { try DTLSCertificate.load(certificatePath: certificatePath, keyPath: keyPath) }
    }

    @Test func fingerprintTextRoundTrips() throws {
        let value = "sha-256 6B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08"
        let fingerprint = try #require(CertificateFingerprint(sdpValue: value))
        #expect(fingerprint.sdpValue == value)
        for bad in ["", "sha-256", "sha-256 6B:8", "sha-256 ZZ:00", "sha-256 6B::8B", "a b c"] {
            #expect(CertificateFingerprint(sdpValue: bad) == nil, "\(bad)")
        }
    }

    @Test func anUnknownHashFunctionIsRefused() throws {
        let context = try DTLSContext(certificate: try DTLSCertificate.generate())
        #expect(throws: DTLSError.unsupportedFingerprintAlgorithm("md5")) {
            try DTLSSession(context: context, role: .client, remoteFingerprint: CertificateFingerprint(algorithm: "md5", bytes: [1, 2]))
        }
    }
}

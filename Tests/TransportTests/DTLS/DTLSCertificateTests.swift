import Foundation
import Testing
import SDP
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

    @Test func anUnknownHashFunctionIsRefused() throws {
        let context = try DTLSContext(certificate: try DTLSCertificate.generate())
        #expect(throws: DTLSError.unsupportedFingerprintAlgorithm("md5")) {
            try DTLSSession(context: context, role: .client, remoteFingerprint: Fingerprint(algorithm: "md5", bytes: [1, 2]))
        }
    }
}

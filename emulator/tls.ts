/**
 * A local certificate authority and a server certificate for 127.0.0.1/localhost, so clients verify TLS against
 * the emulator the way they must against a real instance.
 */
import { generateKeyPairSync } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import forge from "node-forge";

/** PEM material for HTTPS, and where the CA certificate was written. */
export interface LocalTls {
    key: string;
    cert: string;
    caCert: string;
    caPath: string;
}

function keyPair(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; pem: string } {
    // Node's native generator: forge's pure-JS one takes seconds.
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const pem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
    const priv = forge.pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey;
    return { privateKey: priv, publicKey: forge.pki.setRsaPublicKey(priv.n, priv.e), pem };
}

function serial(): string {
    return `01${forge.util.bytesToHex(forge.random.getBytesSync(15))}`;
}

/**
 * Creates (or reuses, when `dir` already holds them) a CA and a server certificate; writes `ca.pem` to `dir`.
 */
export function localTls(dir: string): LocalTls {
    fs.mkdirSync(dir, { recursive: true });
    const files = {
        caPath: path.join(dir, "ca.pem"),
        cert: path.join(dir, "server.pem"),
        key: path.join(dir, "server-key.pem"),
    };
    if (fs.existsSync(files.caPath) && fs.existsSync(files.cert) && fs.existsSync(files.key)) {
        return {
            key: fs.readFileSync(files.key, "utf8"),
            cert: fs.readFileSync(files.cert, "utf8"),
            caCert: fs.readFileSync(files.caPath, "utf8"),
            caPath: files.caPath,
        };
    }
    const now = new Date();
    const later = new Date(now.getTime() + 825 * 86_400_000);
    const ca = keyPair();
    const caCert = forge.pki.createCertificate();
    caCert.publicKey = ca.publicKey;
    caCert.serialNumber = serial();
    caCert.validity.notBefore = now;
    caCert.validity.notAfter = later;
    const caName = [{ name: "commonName", value: "sn-emulator local CA" }];
    caCert.setSubject(caName);
    caCert.setIssuer(caName);
    caCert.setExtensions([
        { name: "basicConstraints", cA: true, critical: true },
        { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
        { name: "subjectKeyIdentifier" },
    ]);
    caCert.sign(ca.privateKey, forge.md.sha256.create());

    const server = keyPair();
    const cert = forge.pki.createCertificate();
    cert.publicKey = server.publicKey;
    cert.serialNumber = serial();
    cert.validity.notBefore = now;
    cert.validity.notAfter = later;
    cert.setSubject([{ name: "commonName", value: "localhost" }]);
    cert.setIssuer(caName);
    cert.setExtensions([
        { name: "basicConstraints", cA: false },
        { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
        { name: "extKeyUsage", serverAuth: true },
        {
            name: "subjectAltName",
            altNames: [
                { type: 7, ip: "127.0.0.1" },
                { type: 2, value: "localhost" },
            ],
        },
        { name: "authorityKeyIdentifier", keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
    ]);
    cert.sign(ca.privateKey, forge.md.sha256.create());

    const out: LocalTls = {
        key: server.pem,
        cert: forge.pki.certificateToPem(cert),
        caCert: forge.pki.certificateToPem(caCert),
        caPath: files.caPath,
    };
    fs.writeFileSync(files.key, out.key, { mode: 0o600 });
    fs.writeFileSync(files.cert, out.cert);
    fs.writeFileSync(files.caPath, out.caCert);
    return out;
}

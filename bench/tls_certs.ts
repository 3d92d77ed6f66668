/**
 * Certificates made for the tests with `openssl`, in a temporary directory: a test
 * CA, a server certificate for `localhost` and `127.0.0.1` signed by it, a second
 * one for another name, and a certificate with a key that does not match it. The
 * keys are made fresh for each test process and protect nothing real.
 *
 * Requires `--allow-run` (for `openssl`), `--allow-write` and `--allow-read`.
 *
 * @module
 */

/** A certificate and its key, as PEM text and as files. */
export interface CertPair {
  /** The certificate, PEM. */
  readonly cert: string;
  /** The private key, PEM. */
  readonly key: string;
  /** The certificate's file. */
  readonly certPath: string;
  /** The key's file. */
  readonly keyPath: string;
}

/** What {@linkcode testCerts} makes. */
export interface TestCerts {
  /** The directory every file is in. */
  readonly dir: string;
  /** The test CA's certificate, PEM. */
  readonly ca: string;
  /** The test CA's certificate file. */
  readonly caPath: string;
  /** A server certificate for `localhost` and `127.0.0.1`, signed by the CA. */
  readonly server: CertPair;
  /** A second server certificate for `localhost` and `127.0.0.1`, signed by the CA. */
  readonly renewed: CertPair;
  /** A server certificate for `other.example` only, signed by the CA. */
  readonly other: CertPair;
  /** The server certificate with the key of `other`: a pair that does not match. */
  readonly mismatched: CertPair;
}

let made: Promise<TestCerts> | undefined;

/**
 * The test certificates, made on the first call and shared by the test process.
 *
 * @returns The certificates, their keys, and their files.
 */
export function testCerts(): Promise<TestCerts> {
  return made ??= makeCerts();
}

async function openssl(dir: string, args: string[]): Promise<void> {
  const { code, stderr } = await new Deno.Command("openssl", {
    args,
    cwd: dir,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(stderr).trim()}`);
  }
}

async function makeCerts(): Promise<TestCerts> {
  const dir = await Deno.makeTempDir({ prefix: "wirechat_tls_" });
  globalThis.addEventListener("unload", () => {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch {
      // Left for the system's cleaning of temporary files.
    }
  });
  await openssl(dir, [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=wirechat test CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  const server = await makeServerCert(dir, "server", "DNS:localhost,IP:127.0.0.1");
  const renewed = await makeServerCert(dir, "renewed", "DNS:localhost,IP:127.0.0.1");
  const other = await makeServerCert(dir, "other", "DNS:other.example");
  const read = (name: string) => Deno.readTextFile(`${dir}/${name}`);
  return {
    dir,
    ca: await read("ca.pem"),
    caPath: `${dir}/ca.pem`,
    server,
    renewed,
    other,
    mismatched: {
      cert: server.cert,
      key: other.key,
      certPath: server.certPath,
      keyPath: other.keyPath,
    },
  };
}

async function makeServerCert(dir: string, name: string, san: string): Promise<CertPair> {
  const cn = san.replace(/^DNS:/, "").split(",")[0]!;
  await openssl(dir, [
    "req",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
    "-subj",
    `/CN=${cn}`,
  ]);
  await Deno.writeTextFile(
    `${dir}/${name}.ext`,
    `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n` +
      `extendedKeyUsage=serverAuth\nsubjectAltName=${san}\n`,
  );
  await openssl(dir, [
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    `${name}.pem`,
    "-days",
    "2",
    "-extfile",
    `${name}.ext`,
  ]);
  const certPath = `${dir}/${name}.pem`;
  const keyPath = `${dir}/${name}.key`;
  return {
    cert: await Deno.readTextFile(certPath),
    key: await Deno.readTextFile(keyPath),
    certPath,
    keyPath,
  };
}

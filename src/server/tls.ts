/**
 * The TLS certificate every protocol offers. Configured paths (`tls.cert`, `tls.key`, relative to
 * the data directory) win; otherwise a self-signed pair is generated once into DATA/tls/.
 */
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generate } from 'selfsigned';
import type { Settings } from '../config/schema.js';
import { UsageError } from '../errors.js';

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  certPath: string;
  keyPath: string;
  generated: boolean;
}

export async function ensureTls(dataDir: string, settings: Settings): Promise<TlsMaterial> {
  if (settings.tls) {
    const certPath = path.resolve(dataDir, settings.tls.cert);
    const keyPath = path.resolve(dataDir, settings.tls.key);
    const cert = await readFile(certPath).catch((e: Error) => {
      throw new UsageError(`tls.cert: cannot read ${certPath} (${e.message}); fix the path or remove "tls" to use a generated certificate`);
    });
    const key = await readFile(keyPath).catch((e: Error) => {
      throw new UsageError(`tls.key: cannot read ${keyPath} (${e.message}); fix the path or remove "tls" to use a generated certificate`);
    });
    return { cert, key, certPath, keyPath, generated: false };
  }
  const dir = path.join(dataDir, 'tls');
  const certPath = path.join(dir, 'cert.pem');
  const keyPath = path.join(dir, 'key.pem');
  let generated = false;
  if (!(await exists(certPath)) || !(await exists(keyPath))) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const notAfterDate = new Date(Date.now() + 10 * 365 * 86_400_000);
    const pems = await generate([{ name: 'commonName', value: settings.hostname }], {
      keySize: 2048,
      algorithm: 'sha256',
      notAfterDate,
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames: [{ type: 2, value: settings.hostname }, { type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
      ],
    });
    await writeFile(keyPath, pems.private, { mode: 0o600 });
    await writeFile(certPath, pems.cert, { mode: 0o644 });
    generated = true;
  }
  return { cert: await readFile(certPath), key: await readFile(keyPath), certPath, keyPath, generated };
}

async function exists(p: string): Promise<boolean> {
  return access(p).then(
    () => true,
    () => false,
  );
}

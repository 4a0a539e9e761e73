// TLS from PEM files, for servers and channels alike, reloaded when the files change (cert-manager rotates them in
// place): grpc-js certificate providers re-read the files every `reloadMs` and hand new connections the new
// certificate; established connections keep theirs. Mutual TLS: the server asks for and checks client certificates
// against the CA (`clientAuth`); every tgsage process presents its own certificate when it calls another.
import { ChannelCredentials, experimental, ServerCredentials, type ChannelOptions } from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';

export interface TlsFiles {
  /** PEM certificate chain this process presents (server, and client under mutual TLS). */
  cert?: string;
  /** PEM private key of `cert`. */
  key?: string;
  /** PEM CA bundle: servers check client certificates against it, clients check servers (default: system roots). */
  ca?: string;
  /** Server: require a client certificate signed by `ca` (mutual TLS). */
  clientAuth?: boolean;
  /** How often the files are read again for a rotated certificate (default 5000 ms). */
  reloadMs?: number;
}

/** Whether TLS is configured at all (a certificate, or a CA to check servers with). */
export const tlsEnabled = (tls: TlsFiles | undefined): tls is TlsFiles => Boolean(tls?.cert || tls?.key || tls?.ca);

/** Names the flag at fault for an incomplete or unreadable set of files; checked once at start-up. */
export function checkTlsFiles(tls: TlsFiles, role: 'server' | 'client'): void {
  if (Boolean(tls.cert) !== Boolean(tls.key)) throw new Error('--tls-cert and --tls-key: give both or neither');
  if (role === 'server' && !tls.cert) throw new Error('--tls-cert: a server with TLS needs its certificate and key');
  if (tls.clientAuth && !tls.ca) throw new Error('--tls-client-auth: needs --tls-ca to check client certificates');
  for (const [flag, path] of [['--tls-cert', tls.cert], ['--tls-key', tls.key], ['--tls-ca', tls.ca]] as const) {
    if (!path) continue;
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new Error(`${flag}: cannot read ${path}: ${(e as Error).message}`);
    }
    if (!text.includes('-----BEGIN ')) throw new Error(`${flag}: ${path} is not a PEM file`);
  }
}

/** One file watcher per set of files, shared by every server and channel of the process that uses them. */
const providers = new Map<string, experimental.CertificateProvider>();
function provider(tls: TlsFiles): experimental.CertificateProvider {
  const key = JSON.stringify([tls.cert, tls.key, tls.ca, tls.reloadMs]);
  let p = providers.get(key);
  if (!p) {
    p = new experimental.FileWatcherCertificateProvider({
      certificateFile: tls.cert,
      privateKeyFile: tls.key,
      caCertificateFile: tls.ca,
      refreshIntervalMs: tls.reloadMs ?? 5000,
    });
    providers.set(key, p);
  }
  return p;
}

/** Server credentials: plaintext without TLS files; TLS (mutual with `clientAuth`) otherwise, reloaded on change. */
export function serverCredentials(tls: TlsFiles | undefined): ServerCredentials {
  if (!tlsEnabled(tls)) return ServerCredentials.createInsecure();
  checkTlsFiles(tls, 'server');
  const p = provider(tls);
  // grpc-js 1.14's createCertificateProviderServerCredentials hands its first two arguments to the constructor in
  // the other order; one provider in both places (it watches the certificate, key and CA) is right either way.
  // Without a CA (TLS, no client certificates) the identity provider goes first, as that constructor reads it.
  return tls.ca
    ? experimental.createCertificateProviderServerCredentials(p, p, tls.clientAuth === true)
    : experimental.createCertificateProviderServerCredentials(p, null as never, false);
}

/** Channel credentials: undefined (plaintext) without TLS files; with a CA, reloaded on change. */
export function channelCredentials(tls: TlsFiles | undefined): ChannelCredentials | undefined {
  if (!tlsEnabled(tls)) return undefined;
  checkTlsFiles(tls, 'client');
  if (!tls.ca) {
    // the system's roots; a client certificate, if any, as read now
    return ChannelCredentials.createSsl(null, tls.key ? readFileSync(tls.key) : null, tls.cert ? readFileSync(tls.cert) : null);
  }
  const p = provider(tls);
  return experimental.createCertificateProviderChannelCredentials(p, tls.cert ? p : null);
}

/** Channel options for TLS: check the server's certificate for `serverName` (e.g. the DNS name a pod IP came from). */
export function tlsChannelOptions(serverName: string | undefined): ChannelOptions {
  return serverName ? { 'grpc.ssl_target_name_override': serverName, 'grpc.default_authority': serverName } : {};
}

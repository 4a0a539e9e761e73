// What secures a tgsage process, in one value built from flags / TGSAGE_* variables, and the small functions that
// turn it into server credentials, channels and client factories. The default is none of it: plaintext on
// 127.0.0.1 for the one-machine quick start.
import { readFileSync } from 'node:fs';
import { createClientFactory, type ClientFactory } from 'nice-grpc';
import { authMiddleware, bearerTokenMiddleware } from './auth.ts';
import { checkTlsFiles, tlsEnabled, type TlsFiles } from './tls.ts';
import { parseClientToken, parseTokenTable, watchedFile } from './tokens.ts';
import type { ServerMiddleware } from 'nice-grpc-common';

export interface Security {
  /** TLS files (server: its certificate; client: the CA to check servers, and its certificate under mutual TLS). */
  tls?: TlsFiles;
  /** Server: the token table (`ROLE TOKEN` lines) calls are checked against; unset = no token needed. */
  authFile?: string;
  /** Client (the CLI, and a service calling another): the file with the token to present. */
  tokenFile?: string;
  /** Server: also serve grpc.health.v1, plaintext and without tokens, on this port (kubelet probes; 0 = any free). */
  healthPort?: number;
}

/** Reads `TGSAGE_TLS_CERT`, `TGSAGE_TLS_KEY`, `TGSAGE_TLS_CA`, `TGSAGE_TLS_CLIENT_AUTH`, `TGSAGE_AUTH_FILE`, `TGSAGE_TOKEN_FILE`. */
export function securityFromEnv(env: NodeJS.ProcessEnv = process.env): Security {
  const v = (name: string): string | undefined => env[name] || undefined;
  const clientAuth = v('TGSAGE_TLS_CLIENT_AUTH');
  const tls: TlsFiles = {
    cert: v('TGSAGE_TLS_CERT'),
    key: v('TGSAGE_TLS_KEY'),
    ca: v('TGSAGE_TLS_CA'),
    clientAuth: clientAuth !== undefined && !['0', 'false', 'no', 'off'].includes(clientAuth.toLowerCase()),
  };
  return { tls, authFile: v('TGSAGE_AUTH_FILE'), tokenFile: v('TGSAGE_TOKEN_FILE') };
}

/** The one dial helper (dial.ts), re-exported for callers that also need tokens. */
export { dial } from './dial.ts';

/** A client factory that presents this process's token (if it has one) on every call. */
export function securedClientFactory(security: Security | undefined): ClientFactory {
  const factory = createClientFactory();
  if (!security?.tokenFile) return factory;
  const token = watchedFile(security.tokenFile, (t) => parseClientToken(t, security.tokenFile));
  return factory.use(bearerTokenMiddleware(token));
}

/** The server's token check, or undefined when no token table is configured. */
export function serverAuth(security: Security | undefined, warn: (message: string) => void): ServerMiddleware | undefined {
  if (!security?.authFile) return undefined;
  const file = security.authFile;
  return authMiddleware(watchedFile(file, (t) => parseTokenTable(t, file), { onError: warn }));
}

/** Checks the files a server will need, naming the flag at fault (start-up errors, not the first call's). */
export function checkServerSecurity(security: Security | undefined): void {
  if (tlsEnabled(security?.tls)) checkTlsFiles(security.tls, 'server');
  if (security?.authFile) parseTokenTable(readText(security.authFile, '--auth-file'), security.authFile);
  if (security?.tokenFile) parseClientToken(readText(security.tokenFile, '--token-file'), security.tokenFile);
}

function readText(path: string, flag: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw new Error(`${flag}: cannot read ${path}: ${(e as Error).message}`);
  }
}



const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|\[::1\]|localhost)$/i;

/**
 * A warning when a server binds beyond loopback without TLS, or with no way to tell callers apart (neither tokens
 * nor client certificates); undefined when fine.
 */
export function exposureWarning(host: string, security: Security | undefined): string | undefined {
  if (LOOPBACK.test(host)) return undefined;
  const missing: string[] = [];
  if (!tlsEnabled(security?.tls)) missing.push('TLS (--tls-cert, --tls-key)');
  if (!security?.authFile && !security?.tls?.clientAuth) missing.push('authentication (--auth-file or --tls-client-auth)');
  if (missing.length === 0) return undefined;
  return `listening on ${host} without ${missing.join(' and ')}: anyone who can reach this port can call every method`;
}

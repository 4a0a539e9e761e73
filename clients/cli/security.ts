// TLS and token flags. Global (every command, and each service for the calls it makes to others): --tls-ca,
// --tls-cert, --tls-key, --token-file. Serving only (`serve`, `start`): --tls-client-auth, --auth-file,
// --health-port. Each also reads its TGSAGE_* variable.
import { Option, type Command } from 'commander';
import type { Security } from '../../services/common/security.ts';

export function addSecurityOptions(program: Command): Command {
  return program
    .addOption(new Option('--tls-ca <file>', 'PEM CA bundle: check servers (and, serving, client certificates) against it').env('TGSAGE_TLS_CA'))
    .addOption(new Option('--tls-cert <file>', 'PEM certificate to present (serving: the server\'s; calling: the client\'s, for mutual TLS)').env('TGSAGE_TLS_CERT'))
    .addOption(new Option('--tls-key <file>', 'PEM private key of --tls-cert').env('TGSAGE_TLS_KEY'))
    .addOption(new Option('--token-file <file>', 'file holding the bearer token to send with every call').env('TGSAGE_TOKEN_FILE'));
}

export function addServingSecurityOptions(command: Command, parsePort: (v: string) => number): Command {
  return command
    .addOption(new Option('--tls-client-auth', 'require client certificates signed by --tls-ca (mutual TLS)').env('TGSAGE_TLS_CLIENT_AUTH'))
    .addOption(
      new Option('--auth-file <file>', 'token table, lines "read TOKEN" / "write TOKEN": calls without a listed token are refused')
        .env('TGSAGE_AUTH_FILE'),
    )
    .addOption(new Option('--health-port <port>', 'also serve grpc.health.v1 on this port, plaintext and without token (probes)').argParser(parsePort));
}

/** The Security value of a command's options merged with the global ones (flags, else TGSAGE_* variables). */
export function securityOf(opts: Record<string, unknown>): Security {
  const s = (k: string): string | undefined => (typeof opts[k] === 'string' && opts[k] !== '' ? (opts[k] as string) : undefined);
  return {
    tls: { cert: s('tlsCert'), key: s('tlsKey'), ca: s('tlsCa'), clientAuth: opts['tlsClientAuth'] === true },
    authFile: s('authFile'),
    tokenFile: s('tokenFile'),
    ...(typeof opts['healthPort'] === 'number' ? { healthPort: opts['healthPort'] } : {}),
  };
}

/** The same settings as flags for a child `tgsage serve` (what `start` passes on). */
export function securityArgs(s: Security): string[] {
  return [
    ...(s.tls?.ca ? ['--tls-ca', s.tls.ca] : []),
    ...(s.tls?.cert ? ['--tls-cert', s.tls.cert] : []),
    ...(s.tls?.key ? ['--tls-key', s.tls.key] : []),
    ...(s.tokenFile ? ['--token-file', s.tokenFile] : []),
  ];
}

export function servingSecurityArgs(s: Security, healthPort?: number): string[] {
  return [
    ...(s.tls?.clientAuth ? ['--tls-client-auth'] : []),
    ...(s.authFile ? ['--auth-file', s.authFile] : []),
    ...(healthPort !== undefined ? ['--health-port', String(healthPort)] : []),
  ];
}

// TLS, mutual TLS and bearer tokens: the pure pieces (token tables, roles, which method needs which role), then a
// real teacher cache on 127.0.0.1:0 with certificates made at test time by openssl — no client certificate, a client
// certificate of another CA, a server of another CA: UNAVAILABLE; no or unknown token: UNAUTHENTICATED; a read token
// on DeleteTeacher / CreateTeacher: PERMISSION_DENIED; health without token, also on the plaintext health port; a
// rotated server certificate and a changed token table taken up without restart.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { ClientError, createChannel, createClient, Status } from 'nice-grpc';
import { HealthDefinition } from 'nice-grpc-server-health';
import { createTgsageClients, type TgsageClients } from '../../clients/ts/index.ts';
import { ScorerDefinition } from '../../gen/tgsage/v1/scorer.ts';
import { SearchControllerDefinition } from '../../gen/tgsage/v1/search_controller.ts';
import { TeacherCacheDefinition } from '../../gen/tgsage/v1/teacher_cache.ts';
import { bearerToken, requiredRole } from '../../services/common/auth.ts';
import { createLogger } from '../../services/common/log.ts';
import { exposureWarning, type Security } from '../../services/common/security.ts';
import { parseClientToken, parseTokenTable, roleOf } from '../../services/common/tokens.ts';
import { resolveConfig } from '../../services/config.ts';
import { runServices, type RunningServices } from '../../services/registry.ts';
import { makeCa, makeLeaf, type Pem } from '../support/certs.ts';
import { runCli } from '../support/cli.ts';

const execFileAsync = promisify(execFile);
const READ = 'r-0123456789abcdef0123';
const WRITE = 'w-0123456789abcdef0123';

describe('tokens and roles (pure)', () => {
  it('parses a token table, naming the line at fault', () => {
    const t = parseTokenTable(`# tokens\nread ${READ}\n\nwrite ${WRITE}   # admin\n`);
    assert.equal(roleOf(t, READ), 'read');
    assert.equal(roleOf(t, WRITE), 'write');
    assert.equal(roleOf(t, WRITE.slice(0, -1)), undefined);
    assert.equal(roleOf(t, ''), undefined);
    assert.equal(roleOf(parseTokenTable(`read ${READ}\nwrite ${READ}`), READ), 'write', 'the stronger role of a token listed twice');
    assert.throws(() => parseTokenTable(`read ${READ}\nadmin ${WRITE}`, 'f'), /^Error: f:2: expected "read TOKEN" or "write TOKEN"$/);
    assert.throws(() => parseTokenTable(`write ${WRITE} extra`, 'f'), /f:1: expected/);
    assert.throws(() => parseTokenTable('read short', 'f'), /f:1: token shorter than 16/);
    assert.throws(() => parseTokenTable('# nothing\n', 'f'), /f: no tokens/);
    assert.equal(parseClientToken(`# mine\n${WRITE}\n`), WRITE);
    assert.throws(() => parseClientToken(`write ${WRITE}`, 'f'), /f: the token file holds just the token/);
  });

  it('reads need `read`, everything that changes state needs `write`, health needs nothing', () => {
    type Def = { fullName: string; methods: Record<string, { name: string; options: {} }> };
    // as nice-grpc describes a method to middleware: its path and the proto's options
    const m = (d: Def, k: string) => requiredRole({ path: `/${d.fullName}/${d.methods[k]!.name}`, options: d.methods[k]!.options });
    assert.equal(m(TeacherCacheDefinition, 'deleteTeacher'), 'write');
    assert.equal(m(TeacherCacheDefinition, 'createTeacher'), 'write');
    assert.equal(m(TeacherCacheDefinition, 'computeTeacher'), 'write');
    assert.equal(m(TeacherCacheDefinition, 'setTgLayers'), 'write');
    assert.equal(m(TeacherCacheDefinition, 'listTeachers'), 'read');
    assert.equal(m(TeacherCacheDefinition, 'getRdm'), 'read');
    assert.equal(m(SearchControllerDefinition, 'stopStudy'), 'write');
    assert.equal(m(SearchControllerDefinition, 'runStudy'), 'write');
    assert.equal(m(SearchControllerDefinition, 'watchStudy'), 'read');
    assert.equal(m(ScorerDefinition, 'scoreActivations'), 'read');
    assert.equal(requiredRole({ path: '/grpc.health.v1.Health/Check', options: {} }), undefined);
    assert.equal(bearerToken(`Bearer ${WRITE}`), WRITE);
    assert.equal(bearerToken(`bearer  ${WRITE} `), WRITE);
    assert.equal(bearerToken(`Basic ${WRITE}`), undefined);
    assert.equal(bearerToken(undefined), undefined);
  });

  it('warns about a server reachable beyond loopback without TLS or authentication', () => {
    const tls = { cert: 'c', key: 'k', ca: 'a' };
    assert.equal(exposureWarning('127.0.0.1', {}), undefined);
    assert.equal(exposureWarning('::1', {}), undefined);
    assert.match(exposureWarning('0.0.0.0', {})!, /without TLS .* and authentication/);
    assert.match(exposureWarning('0.0.0.0', { authFile: 'x' })!, /without TLS \(--tls-cert, --tls-key\):/);
    assert.match(exposureWarning('0.0.0.0', { tls })!, /without authentication/);
    assert.equal(exposureWarning('0.0.0.0', { tls, authFile: 'x' }), undefined);
    assert.equal(exposureWarning('10.0.0.5', { tls: { ...tls, clientAuth: true } }), undefined);
  });
});

describe('TLS and tokens on a real server', () => {
  let dir: string;
  let ca: Pem;
  let otherCa: Pem;
  let server: Pem;
  let client: Pem;
  let strangerClient: Pem;
  let services: RunningServices;
  let address: string;
  let healthAddress: string;
  let authFile: string;
  const open: TgsageClients[] = [];
  const tokenFile = (name: string, token: string): string => {
    const f = join(dir, `${name}.token`);
    writeFileSync(f, `${token}\n`);
    return f;
  };
  const clients = (security: Security): TgsageClients => {
    const c = createTgsageClients({ teacherCache: address }, { security, retryMaxAttempts: 1, deadlineMs: 5000 });
    open.push(c);
    return c;
  };
  const code = async (p: Promise<unknown>): Promise<string> => {
    try {
      await p;
      return 'OK';
    } catch (e) {
      if (e instanceof ClientError) return Status[e.code];
      throw e;
    }
  };
  const mtls = (): Security => ({ tls: { ca: ca.cert, cert: client.cert, key: client.key } });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tgsage-security-'));
    ca = makeCa(dir, 'ca');
    otherCa = makeCa(dir, 'other-ca');
    server = makeLeaf(dir, 'server', ca);
    client = makeLeaf(dir, 'client', ca);
    strangerClient = makeLeaf(dir, 'stranger', otherCa);
    // the server's files are copies that the rotation test replaces
    copyFileSync(server.cert, join(dir, 'live.pem'));
    copyFileSync(server.key, join(dir, 'live.key'));
    authFile = join(dir, 'tokens');
    writeFileSync(authFile, `read ${READ}\nwrite ${WRITE}\n`);
    const config = resolveConfig({
      dataDir: join(dir, 'data'),
      logLevel: 'silent',
      security: {
        tls: { cert: join(dir, 'live.pem'), key: join(dir, 'live.key'), ca: ca.cert, clientAuth: true, reloadMs: 100 },
        authFile,
        healthPort: 0,
      },
    });
    services = await runServices(['teacher-cache'], config, { logger: createLogger({ service: 't', level: 'silent' }), signals: false, port: 0 });
    address = services.services[0]!.address;
    healthAddress = `127.0.0.1:${services.services[0]!.server.healthPort()}`;
  });

  after(async () => {
    for (const c of open) c.close();
    await services?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses connections without TLS, without a client certificate, with one of another CA, and to a server of another CA', async () => {
    const write = tokenFile('write', WRITE);
    assert.equal(await code(clients({ tokenFile: write }).teacherCache.listTeachers({})), 'UNAVAILABLE', 'plaintext');
    assert.equal(await code(clients({ tls: { ca: ca.cert }, tokenFile: write }).teacherCache.listTeachers({})), 'UNAVAILABLE', 'no client cert');
    assert.equal(
      await code(clients({ tls: { ca: ca.cert, cert: strangerClient.cert, key: strangerClient.key }, tokenFile: write }).teacherCache.listTeachers({})),
      'UNAVAILABLE',
      'client cert of another CA',
    );
    assert.equal(
      await code(clients({ tls: { ca: otherCa.cert, cert: client.cert, key: client.key }, tokenFile: write }).teacherCache.listTeachers({})),
      'UNAVAILABLE',
      'server cert not of the CA the client trusts',
    );
    assert.equal(await code(clients({ ...mtls(), tokenFile: write }).teacherCache.listTeachers({})), 'OK');
  });

  it('UNAUTHENTICATED without a known token, PERMISSION_DENIED for a read token on what changes state', async () => {
    assert.equal(await code(clients(mtls()).teacherCache.listTeachers({})), 'UNAUTHENTICATED');
    assert.equal(await code(clients({ ...mtls(), tokenFile: tokenFile('bad', 'x'.repeat(20)) }).teacherCache.listTeachers({})), 'UNAUTHENTICATED');
    const reader = clients({ ...mtls(), tokenFile: tokenFile('read', READ) });
    assert.equal(await code(reader.teacherCache.listTeachers({})), 'OK');
    assert.equal(await code(reader.info('teacherCache').getInfo({})), 'OK');
    assert.equal(await code(reader.teacherCache.deleteTeacher({ id: 'any' })), 'PERMISSION_DENIED');
    const upload = reader.teacherCache.createTeacher(
      (async function* () {
        yield { message: { $case: 'header' as const, value: { id: 't', description: '', numStimuli: 4, stimulusIds: [], rdmMethod: 0, storeGram: false } } };
      })(),
    );
    assert.equal(await code(upload), 'PERMISSION_DENIED');
    const writer = clients({ ...mtls(), tokenFile: tokenFile('write', WRITE) });
    assert.equal(await code(writer.teacherCache.deleteTeacher({ id: 'nope' })), 'NOT_FOUND', 'past the check, to the service');
    // the service still serves after all that
    assert.equal(await code(reader.teacherCache.listTeachers({})), 'OK');
  });

  it('health answers without a token, over TLS and on the plaintext health port', async () => {
    assert.equal((await clients(mtls()).health('teacherCache').check({ service: '' })).status, 1);
    const channel = createChannel(healthAddress);
    try {
      assert.equal((await createClient(HealthDefinition, channel).check({ service: '' })).status, 1);
    } finally {
      channel.close();
    }
  });

  it('the Python client speaks mutual TLS with tokens from the TGSAGE_* variables', async () => {
    const script = [
      'import grpc, sys',
      'from tgsage_client import TeacherCacheClient',
      'def code(f):',
      '    try:',
      '        f(); return "OK"',
      '    except grpc.RpcError as e:',
      '        return e.code().name',
      'with TeacherCacheClient() as c:',
      '    print(code(c.list), code(lambda: c.delete("nope")))',
    ].join('\n');
    // asynchronously: the server answering it runs in this process
    const py = async (env: Record<string, string>): Promise<string> =>
      (await execFileAsync('/usr/bin/python3', ['-c', script], {
        cwd: 'clients/python',
        env: { PATH: process.env['PATH'] ?? '', PYTHONDONTWRITEBYTECODE: '1', TGSAGE_TEACHER_CACHE_ADDR: address, ...env },
        encoding: 'utf8',
      })).stdout.trim();
    const tlsEnv = { TGSAGE_TLS_CA: ca.cert, TGSAGE_TLS_CERT: client.cert, TGSAGE_TLS_KEY: client.key };
    assert.equal(await py({ ...tlsEnv, TGSAGE_TOKEN_FILE: tokenFile('read', READ) }), 'OK PERMISSION_DENIED');
    assert.equal(await py({ ...tlsEnv, TGSAGE_TOKEN_FILE: tokenFile('write', WRITE) }), 'OK NOT_FOUND');
    assert.equal(await py(tlsEnv), 'UNAUTHENTICATED UNAUTHENTICATED');
    assert.equal(await py({ TGSAGE_TLS_CA: ca.cert, TGSAGE_TOKEN_FILE: tokenFile('write', WRITE) }), 'UNAVAILABLE UNAVAILABLE');
  });

  it('the CLI takes the TLS files and the token from flags and from TGSAGE_* variables', async () => {
    const flags = ['--teacher-cache', address, '--tls-ca', ca.cert, '--tls-cert', client.cert, '--tls-key', client.key];
    const denied = await runCli([...flags, '--token-file', tokenFile('read', READ), 'teacher', 'delete', 'nope']);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /PERMISSION_DENIED/);
    const env = { TGSAGE_TEACHER_CACHE_ADDR: address, TGSAGE_TLS_CA: ca.cert, TGSAGE_TLS_CERT: client.cert, TGSAGE_TLS_KEY: client.key };
    const deleted = await runCli(['teacher', 'delete', 'nope'], { env: { ...env, TGSAGE_TOKEN_FILE: tokenFile('write', WRITE) } });
    assert.match(deleted.stderr, /NOT_FOUND/, 'a write token gets through to the service');
  });

  it('picks up a rotated certificate and a changed token table without restart', async () => {
    const fingerprint = (): Promise<string> =>
      new Promise((resolve, reject) => {
        const port = Number(address.split(':')[1]);
        const s = connect({ host: '127.0.0.1', servername: 'localhost', port, ALPNProtocols: ['h2'], rejectUnauthorized: false, cert: readFileSync(client.cert), key: readFileSync(client.key) }, () => {
          resolve(s.getPeerCertificate().fingerprint256);
          s.end();
        });
        s.on('error', reject);
      });
    const newCa = makeCa(dir, 'new-ca');
    const rotated = makeLeaf(dir, 'rotated', newCa);
    const trustsNew = clients({ tls: { ca: newCa.cert, cert: client.cert, key: client.key }, tokenFile: tokenFile('write', WRITE) });
    const before = await fingerprint();
    assert.equal(await code(trustsNew.teacherCache.listTeachers({})), 'UNAVAILABLE');
    // as cert-manager / kubelet do: new files swapped in, never half-written
    copyFileSync(rotated.key, join(dir, 'next.key'));
    copyFileSync(rotated.cert, join(dir, 'next.pem'));
    renameSync(join(dir, 'next.key'), join(dir, 'live.key'));
    renameSync(join(dir, 'next.pem'), join(dir, 'live.pem'));
    const end = Date.now() + 5000;
    while ((await fingerprint()) === before && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    assert.notEqual(await fingerprint(), before, 'new connections get the new certificate');
    const fresh = clients({ tls: { ca: newCa.cert, cert: client.cert, key: client.key }, tokenFile: tokenFile('write', WRITE) });
    // the refused connection above is in reconnect back-off (grpc-js shares it between channels): wait it out
    const until = Date.now() + 5000;
    while ((await code(fresh.teacherCache.listTeachers({}))) !== 'OK' && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await code(fresh.teacherCache.listTeachers({})), 'OK');

    const reader = clients({ tls: { ca: newCa.cert, cert: client.cert, key: client.key }, tokenFile: tokenFile('read', READ) });
    assert.equal(await code(reader.teacherCache.listTeachers({})), 'OK');
    writeFileSync(join(dir, 'tokens.next'), `write ${WRITE}\n`);
    renameSync(join(dir, 'tokens.next'), authFile);
    await new Promise((r) => setTimeout(r, 1100)); // the table is looked at again at most once a second
    assert.equal(await code(reader.teacherCache.listTeachers({})), 'UNAUTHENTICATED', 'the read token was withdrawn');
    assert.equal(await code(fresh.teacherCache.listTeachers({})), 'OK');
  });
});

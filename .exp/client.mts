import { createTgsageClients, createTeacherRequests, scoreRequests } from '/work/wt/core/clients/ts/index.ts';
const [tc, sc] = JSON.parse(process.argv[2]!);
const n = 1000, d = Number(process.env.D ?? 16384), L = 4;
const noise = (len: number) => { const a = new Float32Array(len); for (let i = 0; i < len; i++) a[i] = Math.random() - 0.5; return a; };
const clients = createTgsageClients({ teacherCache: tc, scorer: sc }, { deadlineMs: 0 });
try { await clients.teacherCache.deleteTeacher({ id: 'bench' }); } catch {}
await clients.teacherCache.createTeacher(createTeacherRequests({ id: 'bench', numStimuli: n }, [{ name: 'T', shape: [n, 512], data: noise(n * 512) }]));
const cand = Array.from({ length: L }, (_, k) => ({ name: `c${k}`, shape: [n, d], data: noise(n * d) }));
for (let r = 0; r < 3; r++) {
  const t0 = performance.now();
  const res = await clients.scorer.scoreActivations(scoreRequests({ teacherId: 'bench' }, cand));
  const s = (performance.now() - t0) / 1000;
  console.log(`${(L * n * d * 4 / 1e6 / s).toFixed(0)} MB/s total ${s.toFixed(2)}s compute ${res.computeSeconds.toFixed(2)}`);
}
clients.close();

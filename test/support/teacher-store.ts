// A teacher store in a fresh temporary directory (naive compute, small limits), for the store's domain tests.
import { after } from 'node:test';
import { silentLogger } from '../../services/common/log.ts';
import { openTeacherStore, type TeacherHeaderInput, type TeacherLimits } from '../../services/teacher-cache/store.ts';
import { naiveCompute } from './naive-compute.ts';
import { tempDir } from './services.ts';

/** Fresh directories (removed after the file's tests), a store opener and headers of `n` stimuli. */
export function teacherStoreFixture(n: number, maxLayers: number) {
  const limits: TeacherLimits = { maxStimuli: 100, maxFeaturesPerLayer: 1000, maxUploadBytes: 1e7, maxLayers };
  const dirs: Array<{ remove(): Promise<void> }> = [];
  after(async () => Promise.all(dirs.map((d) => d.remove())));
  return {
    async freshDir(): Promise<string> {
      const d = await tempDir();
      dirs.push(d);
      return d.path;
    },
    open: (dataDir: string) => openTeacherStore({ dataDir, compute: naiveCompute(), limits, logger: silentLogger() }),
    header: (id: string, extra: Partial<TeacherHeaderInput> = {}): TeacherHeaderInput => ({
      id, description: 'd', numStimuli: n, stimulusIds: [], rdmMethod: 'correlation', storeGram: false, ...extra,
    }),
  };
}

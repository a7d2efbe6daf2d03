import fs from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ArtifactNotFoundError, checkKey, type ArtifactStore } from './artifact-store.js';

/** Artifacts as files under a folder (the local default, data/artifacts). Writes are atomic (temp file + rename). */
export function createLocalFolderStore(dir: string): ArtifactStore {
  const root = path.resolve(dir);
  const file = (key: string) => path.join(root, ...checkKey(key).split('/'));
  return {
    root: pathToFileURL(root).href,
    async put(key, data) {
      const target = file(key);
      await fs.mkdir(path.dirname(target), { recursive: true });
      const tmp = `${target}.${process.pid}.${Date.now()}.tmp`;
      await fs.writeFile(tmp, data);
      await fs.rename(tmp, target);
    },
    async get(key) {
      try {
        return await fs.readFile(file(key));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ArtifactNotFoundError(this.uriOf(key));
        throw err;
      }
    },
    async list(prefix) {
      const out: string[] = [];
      const walk = async (d: string, rel: string) => {
        let entries;
        try {
          entries = await fs.readdir(d, { withFileTypes: true });
        } catch {
          return;
        }
        for (const e of entries) {
          const r = rel ? `${rel}/${e.name}` : e.name;
          if (e.isDirectory()) await walk(path.join(d, e.name), r);
          else if (!e.name.endsWith('.tmp') && r.startsWith(prefix)) out.push(r);
        }
      };
      await walk(root, '');
      return out.sort();
    },
    uriOf: (key) => pathToFileURL(file(key)).href,
  };
}

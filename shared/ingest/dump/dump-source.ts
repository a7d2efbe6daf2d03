import fs from 'node:fs/promises';
import path from 'node:path';
import type { Storage } from '@google-cloud/storage';
import yauzl from 'yauzl';
import { ValidationError } from '../../errors.js';

/**
 * Where an Ergast dump lives: a folder, a .zip (of a folder of either CSV or TSV files),
 * or the same under a gs:// URI. A source hands out the files by base name
 * ('results.csv'), wherever they sit inside the folder or archive.
 */
export interface DumpSource {
  /** Base names of the files present. */
  names(): Promise<string[]>;
  read(name: string): Promise<Buffer>;
  describe: string;
}

export interface DumpSourceDeps {
  /** A Storage client, only needed for gs:// locations (tests pass one aimed at a fake). */
  storage?: Pick<Storage, 'bucket'>;
}

export async function openDumpSource(location: string, deps: DumpSourceDeps = {}): Promise<DumpSource> {
  if (location.startsWith('gs://')) return openGcs(location, deps);
  const stat = await fs.stat(location).catch(() => undefined);
  if (!stat) throw new ValidationError(`dump not found: ${location}`);
  if (stat.isDirectory()) return directorySource(location);
  if (location.toLowerCase().endsWith('.zip')) return zipSource(await fs.readFile(location), location);
  throw new ValidationError(`dump must be a folder, a .zip or a gs:// URI: ${location}`);
}

function directorySource(dir: string): DumpSource {
  return {
    describe: dir,
    names: async () => (await fs.readdir(dir)).filter((n) => /\.(csv|tsv|txt)$/i.test(n)),
    read: (name) => fs.readFile(path.join(dir, name)),
  };
}

/** Reads every file entry of a zip held in memory (a full dump is a few MB). */
export async function zipSource(buffer: Buffer, describe: string): Promise<DumpSource> {
  const files = new Map<string, Buffer>();
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.fromBuffer(buffer, { lazyEntries: true }, (err, z) => (err ? reject(new ValidationError(`not a readable zip: ${err.message}`)) : resolve(z))),
  );
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      const base = path.posix.basename(entry.fileName);
      if (entry.fileName.endsWith('/') || base.startsWith('.') || entry.fileName.includes('__MACOSX')) {
        zip.readEntry();
        return;
      }
      zip.openReadStream(entry, (err, stream) => {
        if (err) return reject(err);
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('error', reject);
        stream.on('end', () => {
          files.set(base, Buffer.concat(chunks));
          zip.readEntry();
        });
      });
    });
    zip.on('end', () => resolve());
    zip.on('error', reject);
    zip.readEntry();
  });
  return mapSource(files, describe);
}

function mapSource(files: Map<string, Buffer>, describe: string): DumpSource {
  return {
    describe,
    names: async () => [...files.keys()].filter((n) => /\.(csv|tsv|txt)$/i.test(n)),
    read: async (name) => {
      const b = files.get(name);
      if (!b) throw new Error(`${name} not in ${describe}`);
      return b;
    },
  };
}

async function openGcs(uri: string, deps: DumpSourceDeps): Promise<DumpSource> {
  if (!deps.storage) throw new ValidationError('a gs:// dump needs a Storage client');
  const m = /^gs:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m) throw new ValidationError(`not a gs:// URI: ${uri}`);
  const bucket = deps.storage.bucket(m[1]!);
  const key = m[2] ?? '';
  if (key.toLowerCase().endsWith('.zip')) {
    const [contents] = await bucket.file(key).download();
    return zipSource(contents, uri);
  }
  const prefix = key && !key.endsWith('/') ? `${key}/` : key;
  const [files] = await bucket.getFiles({ prefix });
  const byName = new Map(files.map((f) => [path.posix.basename(f.name), f]));
  return {
    describe: uri,
    names: async () => [...byName.keys()].filter((n) => /\.(csv|tsv|txt)$/i.test(n)),
    read: async (name) => {
      const f = byName.get(name);
      if (!f) throw new Error(`${name} not in ${uri}`);
      const [contents] = await f.download();
      return contents;
    },
  };
}

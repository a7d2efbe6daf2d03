import fs from 'node:fs/promises';
import path from 'node:path';
import type { Storage } from '@google-cloud/storage';
import yauzl from 'yauzl';
import { DEFAULT_ZIP_LIMITS } from '../../config/config.js';
import { ValidationError } from '../../errors.js';
import { dumpTableOf } from './dump-layout.js';

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
  /** Inflated bytes allowed per table file and in all (config DUMP_ZIP_*; default DEFAULT_ZIP_LIMITS). */
  zipLimits?: ZipLimits;
}

export interface ZipLimits {
  entryMaxBytes: number;
  totalMaxBytes: number;
}

export async function openDumpSource(location: string, deps: DumpSourceDeps = {}): Promise<DumpSource> {
  if (location.startsWith('gs://')) return openGcs(location, deps);
  const stat = await fs.stat(location).catch(() => undefined);
  if (!stat) throw new ValidationError(`dump not found: ${location}`);
  const limits = deps.zipLimits ?? DEFAULT_ZIP_LIMITS;
  if (stat.isDirectory()) return directorySource(location, limits);
  if (location.toLowerCase().endsWith('.zip') && stat.isFile()) return zipSource(await fs.readFile(location), location, limits);
  throw new ValidationError(`dump must be a folder, a .zip or a gs:// URI: ${location}`);
}

function directorySource(dir: string, limits: ZipLimits): DumpSource {
  return {
    describe: dir,
    names: async () => (await fs.readdir(dir)).filter((n) => /\.(csv|tsv|txt)$/i.test(n)),
    read: async (name) => {
      const file = path.join(dir, name);
      // A link may not lead out of the folder: the folder is what POST /ingest allowed.
      const [real, realDir] = await Promise.all([fs.realpath(file), fs.realpath(dir)]);
      if (path.dirname(real) !== realDir) throw new ValidationError(`${name} in ${dir} links outside the folder: copy the file in instead`);
      const stat = await fs.stat(real);
      if (!stat.isFile()) throw new ValidationError(`${name} in ${dir} is not a regular file`);
      if (stat.size > limits.entryMaxBytes) throw tooBig(name, stat.size, limits.entryMaxBytes, 'DUMP_ZIP_ENTRY_MAX_BYTES');
      return fs.readFile(file);
    },
  };
}

function tooBig(name: string, bytes: number, cap: number, setting: string): ValidationError {
  return new ValidationError(
    `${name} holds more than ${cap} bytes (${bytes > cap ? `${bytes}` : 'stopped at the cap'}), too large for a table of an Ergast dump: check the archive, or raise ${setting} if it is genuine`,
  );
}

/**
 * Inflates the table entries of a zip held in memory (a full dump is a few MB zipped), and
 * only those: any other entry is skipped unread. Inflated bytes are counted as they stream
 * out, per entry and in all, and the read stops at a cap, so a zip bomb (a few MB that
 * inflate to GBs) is refused before memory grows. The declared sizes are checked first;
 * yauzl stops an entry that inflates past its declared size, and the count while streaming
 * is the cap even so.
 */
export async function zipSource(buffer: Buffer, describe: string, limits: ZipLimits = DEFAULT_ZIP_LIMITS): Promise<DumpSource> {
  const files = new Map<string, Buffer>();
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.fromBuffer(buffer, { lazyEntries: true }, (err, z) => (err ? reject(new ValidationError(`not a readable zip: ${err.message}`)) : resolve(z))),
  );
  let total = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const fail = (err: unknown) => reject(err instanceof ValidationError ? err : new ValidationError(`${describe}: not a readable zip: ${err instanceof Error ? err.message : String(err)}`));
      zip.on('entry', (entry: yauzl.Entry) => {
        const base = path.posix.basename(entry.fileName);
        const wanted = !entry.fileName.endsWith('/') && !base.startsWith('.') && !entry.fileName.includes('__MACOSX') && dumpTableOf(base) !== undefined;
        if (!wanted) {
          zip.readEntry();
          return;
        }
        if (entry.uncompressedSize > limits.entryMaxBytes) return fail(tooBig(entry.fileName, entry.uncompressedSize, limits.entryMaxBytes, 'DUMP_ZIP_ENTRY_MAX_BYTES'));
        if (total + entry.uncompressedSize > limits.totalMaxBytes) {
          return fail(tooBig(`${describe} (all tables)`, total + entry.uncompressedSize, limits.totalMaxBytes, 'DUMP_ZIP_TOTAL_MAX_BYTES'));
        }
        zip.openReadStream(entry, (err, stream) => {
          if (err) return fail(err);
          const chunks: Buffer[] = [];
          let bytes = 0;
          stream.on('data', (c: Buffer) => {
            bytes += c.length;
            total += c.length;
            const over =
              bytes > limits.entryMaxBytes
                ? tooBig(entry.fileName, bytes, limits.entryMaxBytes, 'DUMP_ZIP_ENTRY_MAX_BYTES')
                : total > limits.totalMaxBytes
                  ? tooBig(`${describe} (all tables)`, total, limits.totalMaxBytes, 'DUMP_ZIP_TOTAL_MAX_BYTES')
                  : undefined;
            if (over) {
              stream.destroy();
              chunks.length = 0;
              return fail(over);
            }
            chunks.push(c);
          });
          stream.on('error', fail);
          stream.on('end', () => {
            files.set(base, Buffer.concat(chunks));
            zip.readEntry();
          });
        });
      });
      zip.on('end', () => resolve());
      zip.on('error', fail);
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
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
    return zipSource(contents, uri, deps.zipLimits ?? DEFAULT_ZIP_LIMITS);
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

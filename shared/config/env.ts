import fs from 'node:fs';
import path from 'node:path';
import dotenv from 'dotenv';

/**
 * The environment as the edges see it: the process environment over a `.env` file in
 * `cwd` (local dev only; real variables always win). Called at the edges, never below.
 */
export function readEnvironment(
  processEnv: Record<string, string | undefined>,
  cwd: string = process.cwd(),
): Record<string, string | undefined> {
  const file = path.join(cwd, '.env');
  const fromFile = fs.existsSync(file) ? dotenv.parse(fs.readFileSync(file)) : {};
  return { ...fromFile, ...processEnv };
}

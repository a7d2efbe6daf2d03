/** '1:26.572', '26.572' or '1:25:33.607' → milliseconds; undefined for anything else. */
export function clockTextToMs(text: string | undefined | null): number | undefined {
  if (!text) return undefined;
  const m = /^(?:(\d+):)?(?:(\d+):)?(\d+(?:\.\d+)?)$/.exec(text.trim());
  if (!m) return undefined;
  const parts = [m[1], m[2]].filter((p): p is string => p !== undefined).map(Number);
  const seconds = Number(m[3]);
  const [a, b] = parts;
  const total = parts.length === 2 ? a! * 3600 + b! * 60 + seconds : parts.length === 1 ? a! * 60 + seconds : seconds;
  return Math.round(total * 1000);
}

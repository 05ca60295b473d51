// Shared by the examples: `--duration <ms>` makes an example stop by itself (tests use it).
export function durationMs(fallback = Infinity): number {
  const i = process.argv.indexOf('--duration');
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

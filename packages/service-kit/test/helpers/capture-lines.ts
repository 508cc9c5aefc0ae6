/** A log destination that keeps every line, for asserting on what a logger really wrote. */
export function captureLines() {
  const lines: string[] = [];
  return {
    lines,
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line.length > 0) lines.push(line);
    },
    records(): Record<string, unknown>[] {
      return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    text(): string {
      return lines.join('\n');
    },
  };
}

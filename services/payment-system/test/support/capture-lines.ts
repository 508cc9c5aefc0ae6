/** A log destination that keeps every line written to it. */
export function captureLines(): { write(chunk: string): boolean; lines: string[]; text(): string } {
  const lines: string[] = [];
  return {
    lines,
    write(chunk: string) {
      lines.push(...chunk.split('\n').filter(Boolean));
      return true;
    },
    text: () => lines.join('\n'),
  };
}

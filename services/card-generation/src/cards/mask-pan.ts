/** First 6 and last 4 digits, the rest as `*` (PCI DSS's most that may be displayed). */
export function maskPan(first6: string, last4: string, panLength: number): string {
  return `${first6}${'*'.repeat(Math.max(0, panLength - 10))}${last4}`;
}

/** For log lines and errors: never a whole PAN. */
export function maskFullPan(pan: string): string {
  return pan.length < 10 ? '*'.repeat(pan.length) : maskPan(pan.slice(0, 6), pan.slice(-4), pan.length);
}

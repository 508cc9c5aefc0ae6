// The sandbox BINs this service may issue from, configured as `network:bin[:panLength]` items
// (SANDBOX_BINS). A PAN is BIN || account digits || check digit, so a BIN of b digits in a PAN of
// length L leaves L - b - 1 account digits and a capacity of 10^(L - b - 1) cards.
// Uniqueness across BINs needs the BINs to be prefix-free per PAN length: with 424242 and 4242421
// both configured, a PAN could be minted under either, so such a list is refused.
import { inPrefixRanges, type Network, type NetworkId, networkById } from './networks.ts';

/** Account digits FF1 works on: at least 2 (domain 100, SP 800-38G's minimum), at most 12. */
export const MIN_ACCOUNT_DIGITS = 2;
export const MAX_ACCOUNT_DIGITS = 12;

/**
 * Defaults: one 6-digit BIN per network (two for Mastercard: 51 and the 2-series), chosen from the
 * ranges processors use for test cards. Replace them with the BINs your sandbox owns.
 */
export const DEFAULT_SANDBOX_BINS = [
  'visa:400000',
  'mastercard:510000',
  'mastercard:222300',
  'amex:370000',
  'discover:601100',
  'jcb:352800',
  'unionpay:620000',
  'diners:360000',
].join(',');

export interface SandboxBin {
  bin: string;
  network: NetworkId;
  panLength: number;
  accountDigits: number;
  /** 10^accountDigits. */
  capacity: number;
  cvcLength: number;
}

export type ParsedBins = { ok: true; bins: SandboxBin[] } | { ok: false; errors: string[] };

export function parseSandboxBins(text: string): ParsedBins {
  const errors: string[] = [];
  const bins: SandboxBin[] = [];
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) return { ok: false, errors: ['must list at least one network:bin'] };
  for (const item of items) {
    const [networkId, bin, lengthText, ...rest] = item.split(':');
    const network: Network | undefined = networkById(networkId ?? '');
    if (!network || bin === undefined || rest.length > 0) {
      errors.push(
        `"${item}": expected network:bin[:panLength] with network one of visa, mastercard, amex, discover, jcb, unionpay, diners`,
      );
      continue;
    }
    if (!/^\d{6,16}$/.test(bin)) {
      errors.push(`"${item}": a BIN is 6 to 16 digits`);
      continue;
    }
    if (!inPrefixRanges(network, bin)) {
      errors.push(`"${item}": ${bin} is outside ${network.displayName}'s issuance ranges`);
      continue;
    }
    const panLength = lengthText === undefined ? network.defaultPanLength : Number(lengthText);
    if (!network.panLengths.includes(panLength)) {
      errors.push(`"${item}": ${network.displayName} PANs are ${network.panLengths.join(', ')} digits long`);
      continue;
    }
    const accountDigits = panLength - bin.length - 1;
    if (accountDigits < MIN_ACCOUNT_DIGITS || accountDigits > MAX_ACCOUNT_DIGITS) {
      errors.push(`"${item}": leaves ${accountDigits} account digits; between ${MIN_ACCOUNT_DIGITS} and ${MAX_ACCOUNT_DIGITS} are needed`);
      continue;
    }
    const clash = bins.find((b) => b.panLength === panLength && (b.bin.startsWith(bin) || bin.startsWith(b.bin)));
    if (clash) {
      errors.push(`"${item}": overlaps ${clash.network}:${clash.bin} (one BIN is a prefix of the other, so PANs could repeat)`);
      continue;
    }
    bins.push({ bin, network: network.id, panLength, accountDigits, capacity: 10 ** accountDigits, cvcLength: network.cvcLength });
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, bins };
}

/** The configured BIN a PAN belongs to, if any. */
export function sandboxBinOf(bins: readonly SandboxBin[], pan: string): SandboxBin | undefined {
  return bins.find((b) => b.panLength === pan.length && pan.startsWith(b.bin));
}

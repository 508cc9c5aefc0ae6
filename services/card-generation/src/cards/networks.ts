// Card networks: the issuance prefixes a sandbox BIN must sit in, the PAN lengths, the CVC length.
// Prefix ranges overlap across networks in the wild (Discover 65 and co-branded UnionPay 622126-622925,
// Maestro's catch-all 6...); a BIN is checked against its declared network only, and detection
// (`detectNetwork`) tries the narrower ranges first.

export const NETWORK_IDS = ['visa', 'mastercard', 'amex', 'discover', 'jcb', 'unionpay', 'diners'] as const;
export type NetworkId = (typeof NETWORK_IDS)[number];

export interface Network {
  id: NetworkId;
  displayName: string;
  /** Inclusive prefix ranges of equal digit count, e.g. ['2221', '2720']. */
  prefixRanges: readonly (readonly [string, string])[];
  /** PAN lengths this network issues. */
  panLengths: readonly number[];
  /** Length of a generated PAN when a BIN does not say. */
  defaultPanLength: number;
  cvcLength: number;
}

const range = (low: string, high = low) => [low, high] as const;

/** In detection order: narrower and co-branded ranges before the broad ones that contain them. */
export const NETWORKS: readonly Network[] = [
  {
    id: 'amex',
    displayName: 'American Express',
    prefixRanges: [range('34'), range('37')],
    panLengths: [15],
    defaultPanLength: 15,
    cvcLength: 4,
  },
  {
    id: 'diners',
    displayName: 'Diners Club',
    prefixRanges: [range('300', '305'), range('3095'), range('36'), range('38', '39')],
    panLengths: [14, 16, 19],
    defaultPanLength: 14,
    cvcLength: 3,
  },
  {
    id: 'jcb',
    displayName: 'JCB',
    prefixRanges: [range('3528', '3589')],
    panLengths: [16, 17, 18, 19],
    defaultPanLength: 16,
    cvcLength: 3,
  },
  {
    id: 'discover',
    displayName: 'Discover',
    prefixRanges: [range('6011'), range('644', '649'), range('65')],
    panLengths: [16, 17, 18, 19],
    defaultPanLength: 16,
    cvcLength: 3,
  },
  {
    id: 'unionpay',
    displayName: 'UnionPay',
    prefixRanges: [range('62'), range('81')],
    panLengths: [16, 17, 18, 19],
    defaultPanLength: 16,
    cvcLength: 3,
  },
  {
    id: 'mastercard',
    displayName: 'Mastercard',
    prefixRanges: [range('51', '55'), range('2221', '2720')],
    panLengths: [16],
    defaultPanLength: 16,
    cvcLength: 3,
  },
  { id: 'visa', displayName: 'Visa', prefixRanges: [range('4')], panLengths: [13, 16, 19], defaultPanLength: 16, cvcLength: 3 },
];

const BY_ID = new Map(NETWORKS.map((n) => [n.id, n]));

export function networkById(id: string): Network | undefined {
  return BY_ID.get(id as NetworkId);
}

/** True when `digits` starts inside one of the network's prefix ranges. */
export function inPrefixRanges(network: Network, digits: string): boolean {
  return network.prefixRanges.some(([low, high]) => {
    const head = digits.slice(0, low.length);
    return head.length === low.length && head >= low && head <= high;
  });
}

/** The network whose issuance ranges contain the PAN's prefix, or undefined. */
export function detectNetwork(pan: string): Network | undefined {
  return NETWORKS.find((network) => inPrefixRanges(network, pan));
}

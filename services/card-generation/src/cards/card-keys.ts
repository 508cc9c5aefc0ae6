// The keys of the card store, derived from CARD_MASTER_KEY with HKDF-SHA256 so that one secret is
// configured and each use has its own key: FF1 (the counter permutation), AES-256-GCM (PAN and CVC
// at rest) and the PAN index key. Changing the master key changes every PAN minted from a counter:
// it must stay the same across releases (scripts/make-secrets.sh writes it once).
import { hkdfSync } from 'node:crypto';

export interface CardKeys {
  ff1: Buffer;
  encryption: Buffer;
  index: Buffer;
}

function derive(master: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', master, Buffer.from('cutover-card-generation'), Buffer.from(info), 32));
}

export function deriveCardKeys(masterKeyHex: string): CardKeys {
  const master = Buffer.from(masterKeyHex, 'hex');
  if (master.length !== 32) throw new Error('CARD_MASTER_KEY must be 32 bytes (64 hex digits)');
  return {
    ff1: derive(master, 'ff1-pan-permutation'),
    encryption: derive(master, 'aes-256-gcm-pan'),
    index: derive(master, 'aes-256-pan-index'),
  };
}

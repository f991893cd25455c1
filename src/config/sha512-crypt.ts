/**
 * SHA-512 crypt (`$6$salt$hash`, the glibc algorithm by U. Drepper), as DC/OS 1.11's --hash-password produced
 * via passlib: 5000 rounds (the default, so no `rounds=` field), a 16-character salt.
 */
import { createHash, randomInt } from 'node:crypto';

const ALPHABET = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const DEFAULT_ROUNDS = 5000;

function sha512(...parts: Buffer[]): Buffer {
  const h = createHash('sha512');
  for (const p of parts) h.update(p);
  return h.digest();
}

/** `len` bytes made of `block` repeated (and cut). */
function repeatTo(block: Buffer, len: number): Buffer {
  const out = Buffer.alloc(len);
  for (let i = 0; i < len; i += block.length) block.copy(out, i, 0, Math.min(block.length, len - i));
  return out;
}

/** The byte order in which the final digest is spelled out, three bytes (four characters) at a time. */
const TRIPLES: ReadonlyArray<readonly [number, number, number]> = [
  [0, 21, 42],
  [22, 43, 1],
  [44, 2, 23],
  [3, 24, 45],
  [25, 46, 4],
  [47, 5, 26],
  [6, 27, 48],
  [28, 49, 7],
  [50, 8, 29],
  [9, 30, 51],
  [31, 52, 10],
  [53, 11, 32],
  [12, 33, 54],
  [34, 55, 13],
  [56, 14, 35],
  [15, 36, 57],
  [37, 58, 16],
  [59, 17, 38],
  [18, 39, 60],
  [40, 61, 19],
  [62, 20, 41],
];

function b64From24(b2: number, b1: number, b0: number, n: number): string {
  let w = (b2 << 16) | (b1 << 8) | b0;
  let out = '';
  for (let i = 0; i < n; i++) {
    out += ALPHABET[w & 0x3f];
    w >>>= 6;
  }
  return out;
}

export function sha512Crypt(password: string, salt: string, rounds = DEFAULT_ROUNDS): string {
  const p = Buffer.from(password, 'utf8');
  const s = Buffer.from(salt, 'utf8').subarray(0, 16);
  const b = sha512(p, s, p);
  const aParts: Buffer[] = [p, s, repeatTo(b, p.length)];
  for (let n = p.length; n > 0; n >>= 1) aParts.push(n & 1 ? b : p);
  let a = sha512(...aParts);
  const pSeq = repeatTo(sha512(...Array<Buffer>(p.length).fill(p)), p.length);
  const sSeq = repeatTo(sha512(...Array<Buffer>(16 + a[0]!).fill(s)), s.length);
  for (let i = 0; i < rounds; i++) {
    const parts: Buffer[] = [i & 1 ? pSeq : a];
    if (i % 3) parts.push(sSeq);
    if (i % 7) parts.push(pSeq);
    parts.push(i & 1 ? a : pSeq);
    a = sha512(...parts);
  }
  let encoded = '';
  for (const [x, y, z] of TRIPLES) encoded += b64From24(a[x]!, a[y]!, a[z]!, 4);
  encoded += b64From24(0, 0, a[63]!, 2);
  const roundsField = rounds === DEFAULT_ROUNDS ? '' : `rounds=${rounds}$`;
  return `$6$${roundsField}${s.toString('utf8')}$${encoded}`;
}

export function randomSalt(length = 16): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}

export function hashPassword(password: string): string {
  return sha512Crypt(password, randomSalt());
}

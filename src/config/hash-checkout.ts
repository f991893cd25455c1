/**
 * pkgpanda's `hash_checkout`: the content hash behind config_id, cluster_package_list_id and bootstrap ids.
 * Lists and dicts are order-independent, so the ids depend only on content.
 *
 * Note the list rule, checked against the original's ids: the *items* are sorted (as Python's sorted() does),
 * then each is hashed and the hashes are joined with ',' in that order; the hashes themselves are not re-sorted.
 */
import { createHash } from 'node:crypto';

export type Hashable = string | number | readonly (string | number)[] | { readonly [key: string]: Hashable };

function sha1(text: string): string {
  return createHash('sha1').update(text, 'utf8').digest('hex');
}

export function hashCheckout(value: Hashable): string {
  if (typeof value === 'string') return sha1(value);
  if (typeof value === 'number') {
    // pkgpanda only accepts Python ints here; a float has no agreed decimal form, so it is refused.
    if (!Number.isInteger(value)) throw new TypeError(`hashCheckout: ${value} is not an integer`);
    return sha1(String(value));
  }
  if (Array.isArray(value)) {
    const items = value as readonly (string | number)[];
    return sha1([...items].sort(compareItems).map(hashCheckout).join(','));
  }
  const dict = value as { readonly [key: string]: Hashable };
  return sha1(
    Object.keys(dict)
      .sort()
      .map((k) => `${k}=${hashCheckout(dict[k]!)}`)
      .join(','),
  );
}

/** Python's ordering for a homogeneous list of str (by code point) or int (numeric); mixed lists are refused. */
function compareItems(a: string | number, b: string | number): number {
  if (typeof a !== typeof b) throw new TypeError('hashCheckout: a list must hold only strings or only integers');
  if (typeof a === 'number') return a - (b as number);
  const ca = [...a].map((c) => c.codePointAt(0)!);
  const cb = [...(b as string)].map((c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) if (ca[i] !== cb[i]) return ca[i]! - cb[i]!;
  return ca.length - cb.length;
}

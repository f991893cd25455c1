import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashCheckout } from '../../src/config/hash-checkout.js';

const sha1 = (s: string): string => createHash('sha1').update(s).digest('hex');

describe('hashCheckout (pkgpanda hash_checkout)', () => {
  it('reproduces the cluster_package_list_id of the original 3-master render', () => {
    const clusterPackages = [
      'dcos-config--setup_bfbf80563ab805a41dd2b5b3378bf3a5245b30c0',
      'dcos-metadata--setup_bfbf80563ab805a41dd2b5b3378bf3a5245b30c0',
      'package--version',
    ];
    expect(hashCheckout(clusterPackages)).toBe('02b47e4e4fe9573c7be5ddf52365efafd2893126');
  });

  it('hashes strings and ints as sha1 of their text', () => {
    expect(hashCheckout('abc')).toBe(sha1('abc'));
    expect(hashCheckout(42)).toBe(sha1('42'));
    expect(() => hashCheckout(1.5)).toThrow(/not an integer/);
  });

  it('is independent of list order and dict key order, and recursive', () => {
    expect(hashCheckout(['b', 'a'])).toBe(hashCheckout(['a', 'b']));
    // Items are sorted, then hashed in that order (the hashes are not re-sorted).
    expect(hashCheckout(['b', 'a'])).toBe(sha1(`${sha1('a')},${sha1('b')}`));
    expect(hashCheckout([10, 9])).toBe(sha1(`${sha1('9')},${sha1('10')}`));
    expect(() => hashCheckout(['a', 1])).toThrow(TypeError);
    expect(hashCheckout({ y: '1', x: ['2'] })).toBe(sha1(`x=${sha1(sha1('2'))},y=${sha1('1')}`));
    expect(hashCheckout({ y: '1', x: '2' })).toBe(hashCheckout({ x: '2', y: '1' }));
    expect(hashCheckout({ x: '2' })).not.toBe(hashCheckout({ x: '3' }));
  });
});

/**
 * Deferred calculations (Calc.deferred): values only generating reads are computed on first read, never while a
 * config is judged, and read exactly as eager ones would be.
 */
import { describe, expect, it } from 'vitest';
import { Resolver, RuleFailure, type Entry } from '../../src/config/engine.js';
import { judgeWith } from './helpers.js';

const target = { variables: ['a', 'b'] };

describe('deferred calculations', () => {
  it('run on first read only, once, after their inputs were resolved and judged', () => {
    let runs = 0;
    const entry: Entry = {
      default: { a: '1' },
      must: { b: { params: ['a'], fn: (x) => `${x.a}!${++runs}`, deferred: true } },
    };
    const r = new Resolver([entry], {}, [target]).resolve();
    expect(runs).toBe(0);
    expect([...r.values.keys()]).toEqual(['a', 'b']);
    expect(r.deferred.get('b')!()).toBe('1!1');
    expect(r.deferred.get('b')!()).toBe('1!1');
    expect(runs).toBe(1);
  });

  it('are skipped, without a message, when an input failed (as eager ones are)', () => {
    const entry: Entry = {
      validate: [
        {
          name: 'a_is_1',
          params: ['a'],
          enforce: (x) => {
            if (x.a !== '1') throw new RuleFailure('bad a');
          },
        },
      ],
      must: { b: { params: ['a'], fn: () => 'never', deferred: true } },
    };
    const r = new Resolver([entry], { a: '2' }, [target]).resolve();
    expect([...r.messages]).toEqual([['a', 'bad a']]);
    expect(r.deferred.has('b')).toBe(false);
    expect(r.values.has('b')).toBe(false);
  });

  it('refuse a rule of their own (a rule would judge a value never computed)', () => {
    const entry: Entry = {
      default: { a: '1' },
      validate: [{ name: 'b_rule', params: ['b'], enforce: () => undefined }],
      must: { b: { params: ['a'], fn: () => 'x', deferred: true } },
    };
    expect(() => new Resolver([entry], {}, [target]).resolve()).toThrow(/deferred but has a rule/);
  });

  it('refuse to be read by another calculation', () => {
    const entry: Entry = {
      default: { a: '1' },
      must: {
        b: { params: ['a'], fn: () => 'x', deferred: true },
        c: { params: ['b'], fn: (x) => x.b! },
      },
    };
    expect(() => new Resolver([entry], {}, [{ variables: ['b', 'c'] }]).resolve()).toThrow(
      /deferred but read by a calculation/,
    );
  });

  it('read like plain values in a valid result: enumerable, spread and serialized, and replaceable', () => {
    const r = judgeWith({});
    expect(r.valid).toBe(true);
    const args = r.args!;
    const descriptor = Object.getOwnPropertyDescriptor(args, 'check_config_contents');
    expect(descriptor?.enumerable).toBe(true);
    expect(descriptor !== undefined && 'get' in descriptor && typeof descriptor.get).toBe('function');
    const spread = { ...args };
    expect(Object.getOwnPropertyDescriptor(args, 'check_config_contents')?.value).toBe(spread.check_config_contents);
    expect(spread.check_config_contents).toContain('check_env');
    expect(JSON.parse(JSON.stringify(args)).rexray_config_contents).toBe(args.rexray_config_contents);
    const copy = judgeWith({}).args! as Record<string, string>;
    copy.rexray_config_contents = 'replaced';
    expect(copy.rexray_config_contents).toBe('replaced');
  });
});

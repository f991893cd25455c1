/**
 * The argument resolver: how DC/OS 1.11's gen decided what to compute, what to judge and which message wins.
 *
 * - Every argument has setters: the user's value, a `default` (the user may override) or a `must`
 *   (calculated; a user value is an error). Setters may carry conditions (`master_discovery=static`).
 * - Only arguments some target needs are resolved (lazy validation). A switch (`{% switch use_proxy %}`)
 *   resolves its variable, judges it one-of its cases, then resolves only the chosen case's variables.
 * - Resolving an argument runs its setter, then its single-key rules in order; the first failure is the
 *   argument's error. An argument whose input failed is skipped silently; one with no setter is "unset".
 * - Multi-key rules run last, skipped when any input is missing or failed, and put their message on every
 *   key involved that has no message yet.
 */

/**
 * Config values by key, each as the string DC/OS 1.11 would have used (booleans 'true'/'false', lists and dicts as
 * JSON text); key names are exactly those of DC/OS 1.11's gen (e.g. `master_quorum`). A rule or calculation receives
 * the values of its params; validation returns every finalized value (user values, defaults, calculated values).
 */
export type ConfigValues = Readonly<Record<string, string>>;

/** A rule or calculation failing with a message for the operator (Python's AssertionError). */
export class RuleFailure extends Error {}

/** Throw the rule's message unless `condition` holds. A function message is built only on failure. */
export function assertRule(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) throw new RuleFailure(typeof message === 'function' ? message() : message);
}

export interface Calc {
  params: readonly string[];
  fn: (args: ConfigValues) => string;
  /**
   * Only generating reads this value (a text the templates embed); judging a config never does. Its inputs are
   * still resolved, so every message, skip and "Must set" stays as it was, but `fn` runs on first read
   * (Resolution.deferred). Only for a calculation that cannot fail once its inputs passed their rules, with no
   * rule of its own and no calculation reading it (the resolver checks the last two).
   */
  deferred?: boolean;
}

export type SetterValue = string | Calc;

/** A named rule over one or more arguments (one small function each). */
export interface Rule {
  name: string;
  params: readonly string[];
  enforce: (args: ConfigValues) => void;
  /** Keys a failure is reported on (default: every key in params). */
  blame?: readonly string[];
}

export interface Entry {
  validate?: readonly Rule[];
  default?: Readonly<Record<string, SetterValue>>;
  must?: Readonly<Record<string, SetterValue>>;
  conditional?: Readonly<Record<string, Readonly<Record<string, Entry>>>>;
}

export interface TargetSpec {
  variables: readonly string[];
  /** Switch variable → its cases, in template order → what each case needs. */
  switches?: ReadonlyArray<readonly [name: string, cases: ReadonlyArray<readonly [value: string, target: TargetSpec]>]>;
}

interface Setter {
  name: string;
  value: SetterValue;
  optional: boolean;
  user: boolean;
  conditions: ReadonlyArray<readonly [string, string]>;
}

type State = { kind: 'resolving' } | { kind: 'value'; value: string } | { kind: 'error' };

/** Raised inside resolution when an input failed or was unset: the dependent is skipped without a message. */
class Skip extends Error {}

export interface Resolution {
  /**
   * Every argument that resolved, in resolution order. A deferred calculation's key is here too, with a
   * placeholder '': its value is the function in `deferred`.
   */
  values: Map<string, string>;
  /** The deferred calculations (Calc.deferred), by key: each computes the key's value when called. */
  deferred: Map<string, () => string>;
  /** Final messages, one per key: single-key errors, then multi-key messages for keys without one. */
  messages: Map<string, string>;
  /** Required arguments nobody set, in the order they were needed. */
  unset: string[];
}

export function oneOf(value: string, allowed: readonly string[]): void {
  if (!allowed.includes(value)) {
    throw new RuleFailure(`Must be one of ${allowed.map((v) => `'${v}'`).join(', ')}. Got '${value}'.`);
  }
}

export class Resolver {
  private readonly setters = new Map<string, Setter[]>();
  private readonly single = new Map<string, Array<(value: string) => void>>();
  private readonly multi: Rule[] = [];
  private readonly state = new Map<string, State>();
  private readonly errors = new Map<string, string>();
  private readonly unset: string[] = [];
  private readonly values = new Map<string, string>();
  private readonly deferred = new Map<string, () => string>();

  constructor(
    entries: readonly Entry[],
    user: ConfigValues,
    private readonly targets: readonly TargetSpec[],
  ) {
    for (const [name, value] of Object.entries(user))
      this.addSetter({ name, value, optional: false, user: true, conditions: [] });
    const multiByParams = new Map<string, Rule[]>();
    for (const entry of entries) this.addEntry(entry, [], multiByParams);
    // Rules over the same set of keys share one slot in the original: the first failing one wins.
    for (const rules of multiByParams.values()) {
      this.multi.push({
        name: rules.map((r) => r.name).join('+'),
        params: rules[0]!.params,
        blame: rules[0]!.blame,
        enforce: (args) => {
          for (const r of rules) r.enforce(args);
        },
      });
    }
    for (const t of targets) this.addSwitchRules(t);
  }

  private addSetter(s: Setter): void {
    const list = this.setters.get(s.name) ?? [];
    list.push(s);
    this.setters.set(s.name, list);
  }

  private addEntry(
    entry: Entry,
    conditions: ReadonlyArray<readonly [string, string]>,
    multiByParams: Map<string, Rule[]>,
  ): void {
    for (const rule of entry.validate ?? []) {
      if (rule.params.length === 1) {
        const name = rule.params[0]!;
        const list = this.single.get(name) ?? [];
        list.push((value) => rule.enforce({ [name]: value }));
        this.single.set(name, list);
      } else {
        const id = [...rule.params].sort().join('\0');
        const list = multiByParams.get(id) ?? [];
        list.push(rule);
        multiByParams.set(id, list);
      }
    }
    for (const [name, value] of Object.entries(entry.must ?? {}))
      this.addSetter({ name, value, optional: false, user: false, conditions });
    for (const [name, value] of Object.entries(entry.default ?? {}))
      this.addSetter({ name, value, optional: true, user: false, conditions });
    for (const [name, cases] of Object.entries(entry.conditional ?? {})) {
      for (const [value, sub] of Object.entries(cases))
        this.addEntry(sub, [...conditions, [name, value]], multiByParams);
    }
  }

  private addSwitchRules(t: TargetSpec): void {
    for (const [name, cases] of t.switches ?? []) {
      const allowed = cases.map(([v]) => v);
      const list = this.single.get(name) ?? [];
      list.push((value) => oneOf(value, allowed));
      this.single.set(name, list);
      for (const [, sub] of cases) this.addSwitchRules(sub);
    }
  }

  /** Resolve every target, then run the multi-key rules. */
  resolve(): Resolution {
    for (const t of this.targets) this.resolveTarget(t);
    const multiMessages: Array<[readonly string[], string]> = [];
    for (const rule of this.multi) {
      const args: Record<string, string> = {};
      let skip = false;
      for (const p of rule.params) {
        const st = this.state.get(p);
        if (!st || st.kind !== 'value') {
          skip = true;
          break;
        }
        args[p] = st.value;
      }
      if (skip) continue;
      try {
        rule.enforce(args);
      } catch (err) {
        if (!(err instanceof RuleFailure)) throw err;
        multiMessages.push([rule.blame ?? rule.params, err.message]);
      }
    }
    const messages = new Map(this.errors);
    for (const [keys, message] of multiMessages) for (const k of keys) if (!messages.has(k)) messages.set(k, message);
    return { values: this.values, deferred: this.deferred, messages, unset: [...this.unset] };
  }

  private resolveTarget(t: TargetSpec): void {
    for (const v of t.variables) this.ensure(v);
    for (const [name, cases] of t.switches ?? []) {
      this.ensure(name);
      const st = this.state.get(name);
      if (!st || st.kind !== 'value') continue;
      const chosen = cases.find(([v]) => v === st.value);
      if (chosen) this.resolveTarget(chosen[1]);
    }
  }

  private ensure(name: string): void {
    if (this.state.has(name)) return;
    this.state.set(name, { kind: 'resolving' });
    try {
      const value = this.calculate(name);
      this.state.set(name, { kind: 'value', value });
      this.values.set(name, value);
    } catch (err) {
      this.state.set(name, { kind: 'error' });
      if (err instanceof RuleFailure) this.errors.set(name, err.message);
      else if (!(err instanceof Skip)) throw err;
    }
  }

  /** The value of an input; a failed or unset input skips the caller. */
  private input(name: string): string {
    const st = this.state.get(name);
    if (st?.kind === 'resolving') throw new Error(`internal error: calculation cycle through ${name}`);
    this.ensure(name);
    const done = this.state.get(name)!;
    if (done.kind !== 'value') throw new Skip(name);
    if (this.deferred.has(name)) throw new Error(`internal error: ${name} is deferred but read by a calculation`);
    return done.value;
  }

  private calculate(name: string): string {
    const all = this.setters.get(name) ?? [];
    let feasible = all.filter((s) => s.conditions.every(([cond, want]) => this.input(cond) === want));
    if (feasible.length === 0) {
      this.unset.push(name);
      throw new Skip(name);
    }
    if (feasible.length > 1) feasible = feasible.filter((s) => !s.optional);
    if (feasible.length === 2 && feasible.some((s) => s.user)) {
      throw new RuleFailure(
        `${name} must be calculated, but was explicitly set in the configuration. Remove it from the configuration.`,
      );
    }
    if (feasible.length !== 1) throw new Error(`internal error: ${feasible.length} ways to set ${name}`);
    const setter = feasible[0]!;
    let value: string;
    if (typeof setter.value === 'string') value = setter.value;
    else {
      const args: Record<string, string> = {};
      for (const p of setter.value.params) args[p] = this.input(p);
      const { fn } = setter.value;
      if (setter.value.deferred === true) {
        if (this.single.has(name) || this.multi.some((r) => r.params.includes(name)))
          throw new Error(`internal error: ${name} is deferred but has a rule`);
        let memo: string | undefined;
        this.deferred.set(name, () => (memo ??= fn(args)));
        return '';
      }
      value = fn(args);
    }
    for (const rule of this.single.get(name) ?? []) rule(value);
    return value;
  }
}

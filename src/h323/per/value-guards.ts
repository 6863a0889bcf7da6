/**
 * Narrowing of AsnValue to the shape a descriptor expects. The encoder takes loosely typed
 * values (AsnValue), so each type checks its value here and reports a PerEncodeError naming
 * the path, rather than writing garbage.
 */
import { BitString, type AsnValue, type ChoiceValue, type SequenceValue } from '../asn1/types';
import { PerEncodeError } from './errors';

export function isSequenceValue(v: AsnValue | undefined): v is SequenceValue {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof BitString);
}

export function asSequence(v: AsnValue, path: string): SequenceValue {
  if (!isSequenceValue(v)) throw new PerEncodeError(`${path}: expected a SEQUENCE value (object)`);
  return v;
}

export function asChoice(v: AsnValue, path: string): ChoiceValue {
  if (isSequenceValue(v) && typeof v['choice'] === 'string' && 'value' in v) return v as unknown as ChoiceValue;
  throw new PerEncodeError(`${path}: expected a CHOICE value ({ choice, value })`);
}

export function asArray(v: AsnValue, path: string): readonly AsnValue[] {
  if (!Array.isArray(v)) throw new PerEncodeError(`${path}: expected an array`);
  return v as readonly AsnValue[];
}

export function asNumber(v: AsnValue, path: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new PerEncodeError(`${path}: expected a safe integer`);
  return v;
}

export function asString(v: AsnValue, path: string): string {
  if (typeof v !== 'string') throw new PerEncodeError(`${path}: expected a string`);
  return v;
}

export function asBytes(v: AsnValue, path: string): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new PerEncodeError(`${path}: expected a Uint8Array`);
  return v;
}

export function asBits(v: AsnValue, path: string): BitString {
  if (!(v instanceof BitString)) throw new PerEncodeError(`${path}: expected a BitString`);
  return v;
}

export function asBoolean(v: AsnValue, path: string): boolean {
  if (typeof v !== 'boolean') throw new PerEncodeError(`${path}: expected a boolean`);
  return v;
}

/** Structural equality of two values (DEFAULT handling, tests). */
export function valuesEqual(a: AsnValue | undefined, b: AsnValue | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a === null || b === null) return false;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && a.length === b.length && a.every((x, i) => x === b[i]);
  }
  if (a instanceof BitString || b instanceof BitString) {
    if (!(a instanceof BitString && b instanceof BitString) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a.bit(i) !== b.bit(i)) return false;
    return true;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x: AsnValue, i: number) => valuesEqual(x, (b as readonly AsnValue[])[i]));
  }
  if (typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a)
      .filter((k) => (a as SequenceValue)[k] !== undefined)
      .sort();
    const kb = Object.keys(b)
      .filter((k) => (b as SequenceValue)[k] !== undefined)
      .sort();
    if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i])) return false;
    return ka.every((k) => valuesEqual((a as SequenceValue)[k], (b as SequenceValue)[k]));
  }
  return false;
}

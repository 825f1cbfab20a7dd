// Readers for JSON body fields with NIM's strict types: each throws a 400 naming the field.
import { SimulatorError } from './errors.ts';

export type Body = Record<string, unknown>;

export function bad(message: string, param: string | null): SimulatorError {
  return new SimulatorError(400, message, param);
}

export function describe(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

export function isObject(value: unknown): value is Body {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `param` defaults to the field name; nested fields pass their dotted path. */
export function optionalInteger(body: Body, name: string, param = name): number | null {
  const value = body[name];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw bad(`${param} must be an integer, got ${describe(value)}.`, param);
  }
  return value;
}

export function optionalNumber(body: Body, name: string, param = name): number | null {
  const value = body[name];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw bad(`${param} must be a number, got ${describe(value)}.`, param);
  return value;
}

export function optionalBoolean(body: Body, name: string, param = name): boolean | null {
  const value = body[name];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'boolean')
    throw bad(`${param} must be a boolean, got ${describe(value)}.`, param);
  return value;
}

export function optionalString(body: Body, name: string, param = name): string | null {
  const value = body[name];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string')
    throw bad(`${param} must be a string, got ${describe(value)}.`, param);
  return value;
}

/** Whether a field is set to something other than null. */
export function isSet(body: Body, name: string): boolean {
  return body[name] !== undefined && body[name] !== null;
}

/**
 * What goes between the reader threads and the pool (reader-threads.ts): a
 * request names its paths; an answer holds, per path, the value or the
 * error's code and message (an Error's `code` does not survive a message).
 */
import type { EntryInfo, Outcome } from './storage.js';

export type ReadOp = 'read' | 'inspect';

export interface ReadRequest {
  readonly id: number;
  readonly op: ReadOp;
  readonly paths: readonly string[];
  readonly maxBytes: number;
}

/** A value read (bytes arrive as a Uint8Array), or an error's code and message. */
export type WireOutcome = { readonly value: Uint8Array | EntryInfo } | { readonly code: string; readonly message: string };

export interface ReadAnswer {
  readonly id: number;
  readonly outcomes: readonly WireOutcome[];
  /** How long the thread took for the whole request. */
  readonly ms: number;
}

export function toWire(call: () => Uint8Array | EntryInfo): WireOutcome {
  try {
    return { value: call() };
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    return { code: code ?? '', message: message ?? String(error) };
  }
}

/** An answer's outcome as the storage seam gives it: bytes as a Buffer, an error with its code. */
export function fromWire<T>(op: ReadOp, wire: WireOutcome): Outcome<T> {
  if ('value' in wire) {
    const { value } = wire;
    const bytes = op === 'read' ? Buffer.from((value as Uint8Array).buffer, (value as Uint8Array).byteOffset, (value as Uint8Array).byteLength) : value;
    return { ok: true, value: bytes as T };
  }
  return { ok: false, error: Object.assign(new Error(wire.message), { code: wire.code }) };
}

/** An upload's startedat, read one way for the upload sweep and the activity check. */
import { describe, expect, it } from 'vitest';
import { startedAtOf } from '../../src/registry/startedat.js';

const of = (text: string) => startedAtOf({ ok: true, value: Buffer.from(text) });

describe('startedAtOf', () => {
  it('reads the RFC 3339 times the registry writes, with nanoseconds and offsets', () => {
    expect(of('2026-11-28T23:28:51Z')).toEqual({ time: Date.parse('2026-11-28T23:28:51Z'), text: '2026-11-28T23:28:51Z' });
    expect(of('2026-11-28T23:28:51.123456789Z\n')).toMatchObject({ text: '2026-11-28T23:28:51.123456789Z' });
    expect(of('2026-11-28T23:28:51+02:00')).toMatchObject({ time: Date.parse('2026-11-28T21:28:51Z') });
  });

  it('says no time for anything else, with the reason', () => {
    for (const text of ['', 'yesterday', '2026-11-28', '1732836531', '2026-11-28 23:28:51Z', '2026-13-45T99:99:99Z']) {
      expect(of(text), JSON.stringify(text)).toMatchObject({ code: 'upload_startedat_invalid' });
    }
    expect(startedAtOf({ ok: false, error: Object.assign(new Error('gone'), { code: 'ENOENT' }) })).toMatchObject({ code: 'upload_startedat_missing' });
    expect(startedAtOf({ ok: false, error: Object.assign(new Error('io'), { code: 'EIO' }) })).toMatchObject({ code: 'upload_startedat_invalid' });
  });
});

import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { startOfCalltouchDay, toExportSlices, toRequestFlags } from '../src/index.ts';

const zone = 'Europe/Moscow';
const at = (iso: string) => DateTime.fromISO(iso, { zone }).toMillis();

describe('toExportSlices', () => {
  it('reads a window inside one day with one call bounded by date and time', () => {
    const slices = toExportSlices(
      at('2024-03-10T09:15:30.400'),
      at('2024-03-10T09:20:01.999'),
      zone,
    );
    expect(slices).toEqual([
      {
        day: '2024-03-10',
        fromMs: at('2024-03-10T09:15:30.400'),
        toMs: at('2024-03-10T09:20:01.999'),
        query: {
          dateFrom: '03/10/2024',
          dateTo: '03/10/2024',
          timeFrom: '09:15:30',
          timeTo: '09:20:01',
        },
      },
    ]);
  });

  it('splits a window across midnight into one continuous call per day, with no gap', () => {
    const slices = toExportSlices(at('2024-12-31T23:55:00'), at('2025-01-01T00:10:00'), zone);
    expect(slices.map((s) => s.query)).toEqual([
      { dateFrom: '12/31/2024', dateTo: '12/31/2024', timeFrom: '23:55:00', timeTo: '23:59:59' },
      { dateFrom: '01/01/2025', dateTo: '01/01/2025', timeFrom: '00:00:00', timeTo: '00:10:00' },
    ]);
    expect(slices[1]!.fromMs).toBe(slices[0]!.toMs + 1);
  });

  it('covers several days of downtime, whole days in the middle', () => {
    const slices = toExportSlices(at('2024-05-01T12:00:00'), at('2024-05-04T01:00:00'), zone);
    expect(slices.map((s) => [s.day, s.query.timeFrom, s.query.timeTo])).toEqual([
      ['2024-05-01', '12:00:00', '23:59:59'],
      ['2024-05-02', '00:00:00', '23:59:59'],
      ['2024-05-03', '00:00:00', '23:59:59'],
      ['2024-05-04', '00:00:00', '01:00:00'],
    ]);
    for (let i = 1; i < slices.length; i++) expect(slices[i]!.fromMs).toBe(slices[i - 1]!.toMs + 1);
  });

  it('uses the Calltouch zone, not UTC, for the day boundary', () => {
    // 21:30 UTC is already the next day in Moscow (UTC+3).
    const from = Date.UTC(2024, 5, 1, 20, 50);
    const to = Date.UTC(2024, 5, 1, 21, 30);
    expect(toExportSlices(from, to, zone).map((s) => s.day)).toEqual(['2024-06-01', '2024-06-02']);
    expect(toExportSlices(from, to, 'UTC').map((s) => s.day)).toEqual(['2024-06-01']);
  });

  it('gives nothing for an empty or reversed window', () => {
    expect(toExportSlices(10, 5, zone)).toEqual([]);
    expect(toExportSlices(5, 5, zone)).toHaveLength(1);
  });
});

describe('startOfCalltouchDay', () => {
  it('is local midnight of the account zone', () => {
    expect(startOfCalltouchDay(at('2024-03-10T00:30:00'), zone)).toBe(at('2024-03-10T00:00:00'));
    expect(startOfCalltouchDay(Date.UTC(2024, 2, 9, 22, 0), zone)).toBe(at('2024-03-10T00:00:00'));
  });
});

describe('toRequestFlags', () => {
  it('turns LEADS_REQUEST_FLAGS names into true flags', () => {
    expect(toRequestFlags(['withMapVisits', 'withCustomFields'])).toEqual({
      withMapVisits: true,
      withCustomFields: true,
    });
    expect(toRequestFlags([])).toEqual({});
  });
});

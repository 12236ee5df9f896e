import type { McnCall } from '@touchline/mcn';
import { DateTime } from 'luxon';
import { formatSubscriber, randomSubscriber } from './phone-formats.ts';
import type { Random } from './random.ts';

/** Ways a record of the stand-in is broken on purpose, as real logs sometimes are. */
export type MalformedKind =
  'no-src-num' | 'garbage-date' | 'empty-did' | 'no-callid' | 'bad-waittime';

export interface GeneratedCall {
  record: McnCall;
  /** True start instant (even when `record.date` is garbage): orders and files the record. */
  startMs: number;
  /** True end instant: a recording becomes available some seconds after it. */
  endMs: number;
  /** Zone-local day of the start, `yyyy-MM-dd`: what `date_from`/`date_to` filter on. */
  day: string;
  seq: number;
  malformed?: MalformedKind;
}

/** The company's numbers (DIDs) and staff, fixed so operators recognise them in Calltouch. */
const DIDS = ['74951234567', '74957654321', '78001234567'];
const STAFF = [
  { num: '101', name: 'Reception 1' },
  { num: '102', name: 'Reception 2' },
  { num: '103', name: 'Ольга Петрова' },
  { num: '104', name: 'Иван Смирнов' },
  { num: '105', name: 'Sales 5' },
  { num: '106', name: 'Анна Кузнецова' },
];
const MALFORMED: readonly (readonly [MalformedKind, number])[] = [
  ['no-src-num', 3],
  ['garbage-date', 2],
  ['empty-did', 2],
  ['no-callid', 1],
  ['bad-waittime', 1],
];
const FORMAT = 'yyyy-MM-dd HH:mm:ss';

type Direction = 'inb' | 'out' | 'int';

export interface GenerateOptions {
  random: Random;
  zone: string;
  seq: number;
  /** Pool of caller numbers (national digits): real callers call again. */
  callers: readonly string[];
  /** When the call ended (live calls); or `startMs` when it started. */
  endMs?: number;
  startMs?: number;
  inboundOnly?: boolean;
  malformedShare: number;
}

/** One finished call, as MCN logs it. */
export function generateCall(o: GenerateOptions): GeneratedCall {
  const { random } = o;
  const malformed = random.chance(o.malformedShare) ? random.weighted(MALFORMED) : undefined;
  const direction: Direction =
    o.inboundOnly || malformed
      ? 'inb'
      : random.weighted<Direction>([
          ['inb', 70],
          ['out', 22],
          ['int', 8],
        ]);
  const status = drawStatus(random, direction);
  const answered = status === 'ANSWERED';
  const waittime = answered
    ? random.int(2, 40)
    : status === 'BUSY' || status === 'FAILED'
      ? random.int(0, 3)
      : random.int(5, 70);
  // Talk times are skewed short, with a long tail, as in any call centre.
  const talktime = answered ? 8 + Math.floor(random.next() ** 2 * 900) : 0;
  const startMs = o.startMs ?? (o.endMs ?? Date.now()) - (waittime + talktime) * 1000;
  const start = DateTime.fromMillis(startMs, { zone: o.zone });
  const at = (seconds: number) => start.plus({ seconds }).toFormat(FORMAT);
  const staff = random.pick(STAFF);
  const did = random.pick(DIDS);
  const callid = `116-${Math.floor(startMs / 1000)}.${o.seq}`;

  const record: Record<string, unknown> = {
    callid,
    type: random.chance(0.1) ? direction.charAt(0).toUpperCase() + direction.slice(1) : direction,
    status,
    hangup_reason: HANGUP[status],
    date: start.toFormat(FORMAT),
    answer_date: answered ? at(waittime) : '',
    end_date: at(waittime + talktime),
    waittime,
    talktime,
    billsec: talktime,
    ...parties(o, direction, status, staff, did),
    has_record: answered ? 1 : 0,
    events_count: 1,
    events: [
      {
        event_type: null,
        event_status: status === 'NOANSWER' ? 'NO ANSWER' : status,
        event_start_time: start.toFormat(FORMAT),
        event_answer_time: answered ? at(waittime) : '',
        event_end_time: at(waittime + talktime),
        event_wait_time: waittime,
        event_talk_time: talktime,
      },
    ],
  };
  if (malformed) breakRecord(record, malformed, random);
  return {
    // Deliberately typed as McnCall even when broken: callers handle one list, and the
    // broken ones are exactly what the client must report.
    record: record as McnCall,
    startMs,
    endMs: startMs + (waittime + talktime) * 1000,
    day: start.toFormat('yyyy-MM-dd'),
    seq: o.seq,
    ...(malformed ? { malformed } : {}),
  };
}

const HANGUP: Record<string, string> = {
  ANSWERED: 'ANSWER',
  NOANSWER: 'NO ANSWER',
  'NO ANSWER': 'NO ANSWER',
  LOST: 'NO ANSWER',
  BUSY: 'BUSY',
  FAILED: 'FAILED',
};

function drawStatus(random: Random, direction: Direction): string {
  if (direction === 'inb') {
    return random.weighted([
      ['ANSWERED', 68],
      ['NOANSWER', 10],
      ['NO ANSWER', 5],
      ['LOST', 8],
      ['BUSY', 5],
      ['FAILED', 4],
    ]);
  }
  return random.weighted([
    ['ANSWERED', 62],
    ['NOANSWER', 18],
    ['BUSY', 12],
    ['FAILED', 8],
  ]);
}

function parties(
  o: GenerateOptions,
  direction: Direction,
  status: string,
  staff: { num: string; name: string },
  did: string,
): Record<string, unknown> {
  const { random } = o;
  // DIDs arrive as JSON numbers or strings, even within one record.
  const didValue = () => (random.chance(0.5) ? Number(did) : did);
  if (direction === 'inb') {
    const viaQueue = status !== 'ANSWERED' && status !== 'BUSY';
    return {
      src_num: formatSubscriber(random, random.pick(o.callers)),
      src_name: '',
      src_type: 'pstn',
      dst_num: viaQueue ? 'queue1' : staff.num,
      dst_name: viaQueue ? 'Main queue' : staff.name,
      dst_type: viaQueue ? 'queue' : 'sipdevice',
      did: didValue(),
      did_num: didValue(),
    };
  }
  if (direction === 'out') {
    return {
      src_num: staff.num,
      src_name: staff.name,
      src_type: 'sipdevice',
      dst_num: `7${randomSubscriber(random)}`,
      dst_name: null,
      dst_type: 'pstn',
      did: random.chance(0.5) ? didValue() : '',
      did_num: '',
    };
  }
  const other = random.pick(STAFF.filter((s) => s.num !== staff.num));
  return {
    src_num: staff.num,
    src_name: staff.name,
    src_type: 'sipdevice',
    dst_num: other.num,
    dst_name: other.name,
    dst_type: 'sipdevice',
    did: '',
    did_num: '',
  };
}

function breakRecord(record: Record<string, unknown>, kind: MalformedKind, random: Random): void {
  switch (kind) {
    case 'no-src-num':
      if (random.chance(0.5)) delete record['src_num'];
      else record['src_num'] = random.pick(['', 'anonymous', 'Unknown']);
      return;
    case 'garbage-date':
      record['date'] = random.pick(['0000-00-00 00:00:00', 'invalid date', '']);
      return;
    case 'empty-did':
      record['did'] = '';
      record['did_num'] = '';
      return;
    case 'no-callid':
      delete record['callid'];
      return;
    case 'bad-waittime':
      record['waittime'] = 'n/a';
      return;
  }
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker, type Queue } from 'bullmq';
import { parseConfig, schemas } from '@touchline/config';
import { callsFlowSpec } from '@touchline/calls';
import { leadsFlowSpec } from '@touchline/leads';
import { ordersFlowSpec } from '@touchline/orders';
import { createFlowQueue } from '@touchline/queue';
import { TEST_REDIS_URL, freePort, testRedis, useTestRedis, waitFor } from '@touchline/testing';
import { boardRole } from '../../src/index.ts';
import { startRole, type TestRole } from '../run-role.ts';

/**
 * Phone numbers and e-mail addresses in job data, results, reasons and logs never reach the
 * board's JSON in clear (issue 12 item 15), whatever the flow: the MCN record of a call, the
 * deal of an order, the Calltouch record of a lead. Real jobs in Redis, real board over HTTP.
 */
const { redis, prefix } = useTestRedis('board-pii');
const CALLER = '79161234567';
const DID = 74951234567;
const DEAL_PHONE = '+7 (915) 777-11-22';
const DEAL_EMAIL = 'ivan.petrov@example.com';
const LEAD_PHONE = '79037654321';
const LEAD_EMAIL = 'anna1987@mail.example';
/** Every form in which one of the numbers could leak (digits only, as sent). */
const CLEAR = [
  CALLER,
  String(DID),
  '9157771122',
  '915) 777-11-22',
  LEAD_PHONE,
  DEAL_EMAIL,
  LEAD_EMAIL,
];

let calls: Queue;
let orders: Queue;
let leads: Queue;
let board: TestRole;

const mcnCall = {
  callid: '116-1763888690.6016868',
  type: 'inb',
  status: 'ANSWERED',
  date: '2025-11-23 12:04:50',
  src_num: CALLER,
  dst_num: '101',
  dst_name: 'Reception 1',
  did: DID,
  did_num: DID,
  events: [{ event_type: 'queue', event_did: String(DID), src_num: CALLER }],
};
const deal = {
  orderNumber: 'A-1',
  status: 'new',
  orderDate: '2024-07-19T16:42:32+03:00',
  phones: [DEAL_PHONE, 79157771122],
  emails: [DEAL_EMAIL],
  comment: `call back on ${DEAL_PHONE} or write to ${DEAL_EMAIL}`,
};
const leadRecord = {
  requestId: 9001,
  subject: 'Заявка с сайта',
  client: {
    fio: 'Анна',
    phones: [{ phoneNumber: LEAD_PHONE, phoneType: 'OTHER' }],
    contacts: [{ contactType: 'EMAIL', contactValue: LEAD_EMAIL }],
  },
};

beforeAll(async () => {
  calls = createFlowQueue(callsFlowSpec, redis, prefix);
  orders = createFlowQueue(ordersFlowSpec, redis, prefix);
  leads = createFlowQueue(leadsFlowSpec, redis, prefix);
  await calls.add('call', { mcn: mcnCall }, { jobId: 'call-1', attempts: 1 });
  await orders.add('deal', { orderNumber: 'A-1', seq: 1, deal }, { jobId: 'order-A-1-1' });
  await leads.add('lead', { record: leadRecord }, { jobId: 'lead-9001' });
  // The call parked with a reason and a log line that quote the numbers, as an API answer may.
  const connection = testRedis();
  const worker = new Worker(
    'calls',
    async (job) => {
      await job.log(`sending clientPhoneNumber=${CALLER} callCenterPhoneNumber=${DID}`);
      throw new Error(`400 {"clientPhoneNumber":"${CALLER}","email":"${DEAL_EMAIL}"}`);
    },
    { connection, prefix },
  );
  await waitFor(async () => (await calls.getFailedCount()) === 1, { message: 'call parked' });
  await worker.close();
  connection.disconnect();
  board = await startRole(
    boardRole(),
    parseConfig(schemas.board, {
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'error',
      BOARD_PORT: String(await freePort()),
      METRICS_PORT: String(await freePort()),
    }),
  );
});

afterAll(async () => {
  await board?.stop();
  await Promise.all([calls?.close(), orders?.close(), leads?.close()]);
});

const text = async (path: string) => {
  const res = await fetch(`${board.url('board')}${path}`);
  expect(res.status, path).toBe(200);
  return res.text();
};
const leaks = (body: string) => CLEAR.filter((clear) => body.includes(clear));

describe('the board masks phone numbers and e-mails', () => {
  it('in a parked call: MCN numbers, the reason and the logs', async () => {
    const list = await text('/api/queues?activeQueue=calls&status=failed&page=1');
    const one = await text('/api/queues/calls/call-1');
    const logs = await text('/api/queues/calls/call-1/logs');
    for (const body of [list, one, logs]) expect(leaks(body)).toEqual([]);
    const job = (JSON.parse(one) as { job: { data: { mcn: Record<string, unknown> } } }).job;
    // Enough is left to tell calls apart: the last two digits, the call id, the extension.
    expect(job.data.mcn).toMatchObject({
      callid: mcnCall.callid,
      src_num: '*********67',
      did: '*********67',
      dst_num: '*01',
    });
    expect(one).toContain('i***@example.com');
  });

  it('in a deal: phones, e-mails and free text', async () => {
    const one = await text('/api/queues/orders/order-A-1-1');
    const list = await text('/api/queues?activeQueue=orders&status=waiting&page=1');
    for (const body of [list, one]) expect(leaks(body)).toEqual([]);
    const { deal: shown } = (JSON.parse(one) as { job: { data: { deal: typeof deal } } }).job.data;
    expect(shown.orderNumber).toBe('A-1');
    expect(shown.emails).toEqual(['i***@example.com']);
    expect(shown.phones).toEqual(['+* (***) ***-**-22', '*********22']);
  });

  it('in a lead: the Calltouch client phones and contacts', async () => {
    const one = await text('/api/queues/leads/lead-9001');
    expect(leaks(one)).toEqual([]);
    const { record } = (JSON.parse(one) as { job: { data: { record: typeof leadRecord } } }).job
      .data;
    expect(record.requestId).toBe(9001);
    expect(record.client.phones[0]?.phoneNumber).toBe('*********21');
    expect(record.client.contacts[0]?.contactValue).toBe('a***@mail.example');
  });

  it('leaves the jobs in Redis untouched', async () => {
    expect((await calls.getJob('call-1'))?.data).toEqual({ mcn: mcnCall });
    expect((await leads.getJob('lead-9001'))?.data).toEqual({ record: leadRecord });
  });
});

import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import Fastify from 'fastify';

export interface FakeCrm {
  readonly url: string;
  readonly leads: { received: number; badSignature: number };
  readonly deals: { sent: number; accepted: number; failed: number };
  close(): Promise<void>;
}

const STATUSES = ['new', 'qualified', 'proposal', 'won', 'lost'] as const;
/** How far from this clock a delivery's `t` may be (docs/leads.md recommends 300 s). */
const TOLERANCE_SECONDS = 300;

/**
 * What docs/leads.md tells a receiver to do, written as a receiver would, without Touchline's
 * packages: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, `t` within the
 * tolerance, compared in constant time. The demo's "bad signatures" count checks the document.
 */
export function validLeadSignature(
  raw: Buffer,
  header: string,
  secret: string,
  nowMs = Date.now(),
): boolean {
  const fields = new Map(header.split(',').map((p) => p.trim().split('=') as [string, string]));
  const t = fields.get('t') ?? '';
  const v1 = fields.get('v1') ?? '';
  if (!/^\d+$/.test(t) || !/^[0-9a-f]{64}$/i.test(v1)) return false;
  if (Math.abs(nowMs / 1000 - Number(t)) > TOLERANCE_SECONDS) return false;
  const expected = createHmac('sha256', secret).update(`${t}.`).update(raw).digest();
  return timingSafeEqual(Buffer.from(v1, 'hex'), expected);
}

/**
 * The demo's CRM: receives leads (checking every signature and its time) and posts deals to the listener,
 * new ones and later states of earlier ones, as a real CRM's webhook would.
 */
export async function startFakeCrm(options: {
  listenerUrl: () => string;
  webhookSecret: string;
  leadsSecret: string;
  dealsPerSecond: number;
}): Promise<FakeCrm> {
  const leads = { received: 0, badSignature: 0 };
  const deals = { sent: 0, accepted: 0, failed: 0 };
  const app = Fastify({ logger: false });
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) =>
    done(null, body),
  );
  app.post('/leads', async (request, reply) => {
    const raw = request.body as Buffer;
    const header = request.headers['x-touchline-timestamped-signature'];
    if (!validLeadSignature(raw, typeof header === 'string' ? header : '', options.leadsSecret)) {
      leads.badSignature += 1;
      return reply.code(401).send({ error: 'bad signature' });
    }
    leads.received += 1;
    return reply.code(200).send({ ok: true });
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  const open: { orderNumber: string; step: number; orderDate: string; phone: string }[] = [];
  let next = 1;
  const tick = async () => {
    const batch = [];
    for (let i = 0; i < options.dealsPerSecond; i++) {
      if (open.length > 0 && randomInt(3) > 0) {
        const deal = open[randomInt(open.length)]!;
        deal.step = Math.min(deal.step + 1, STATUSES.length - 1);
        batch.push({
          orderNumber: deal.orderNumber,
          status: STATUSES[deal.step],
          orderDate: deal.orderDate,
          revenue: 1000 * (deal.step + 1),
        });
        if (deal.step >= 3) open.splice(open.indexOf(deal), 1);
      } else {
        const deal = {
          orderNumber: `D-${Date.now().toString(36)}-${next++}`,
          step: 0,
          orderDate: new Date().toISOString(),
          phone: `7916${String(randomInt(1_000_000, 9_999_999))}`,
        };
        open.push(deal);
        batch.push({
          orderNumber: deal.orderNumber,
          status: STATUSES[0],
          orderDate: deal.orderDate,
          phones: [deal.phone],
          tags: ['demo'],
        });
      }
    }
    deals.sent += batch.length;
    try {
      const res = await fetch(`${options.listenerUrl()}/v1/orders`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${options.webhookSecret}`,
        },
        body: JSON.stringify({ orders: batch }),
      });
      if (res.status === 202) deals.accepted += batch.length;
      else deals.failed += batch.length;
    } catch {
      deals.failed += batch.length;
    }
  };
  const timer = setInterval(() => void tick(), 1_000);
  timer.unref();
  return {
    url: `http://127.0.0.1:${port}`,
    leads,
    deals,
    async close() {
      clearInterval(timer);
      await app.close();
    },
  };
}

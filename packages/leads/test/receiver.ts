import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyLeadSignature } from '../src/index.ts';

/** One POST the receiver got. */
export interface ReceivedDelivery {
  readonly n: number;
  readonly body: string;
  readonly headers: IncomingHttpHeaders;
  readonly signatureValid: boolean;
  readonly requestId: string | undefined;
  /** The status it answered; undefined while hung or when it never answered. */
  status: number | undefined;
}

/** What to answer to the n-th POST (1-based): a status and body, or never answer. */
export type Behaviour = (
  n: number,
  delivery: ReceivedDelivery,
) => { status: number; body?: string } | 'hang';

/**
 * A real CRM webhook receiver on 127.0.0.1 for the tests: verifies each signature, records
 * every POST, and answers as `behaviour` says (2xx, 5xx, 4xx, or never). A lead counts as
 * accepted when the receiver answered it 2xx.
 */
export async function startReceiver(
  secret: string,
  behaviour: Behaviour = () => ({ status: 200 }),
) {
  const deliveries: ReceivedDelivery[] = [];
  const hung: ServerResponse[] = [];
  let current = behaviour;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let requestId: string | undefined;
      try {
        requestId = (JSON.parse(body) as { requestId?: string }).requestId;
      } catch {
        requestId = undefined;
      }
      const delivery: ReceivedDelivery = {
        n: deliveries.length + 1,
        body,
        headers: req.headers,
        signatureValid: verifyLeadSignature(body, req.headers, secret),
        requestId,
        status: undefined,
      };
      deliveries.push(delivery);
      const answer = current(delivery.n, delivery);
      if (answer === 'hang') {
        hung.push(res);
        return;
      }
      delivery.status = answer.status;
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(answer.body ?? '{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  /** requestId → how many times it was answered 2xx. */
  const accepted = () => {
    const counts = new Map<string, number>();
    for (const d of deliveries) {
      if (d.requestId && d.status !== undefined && d.status >= 200 && d.status < 300)
        counts.set(d.requestId, (counts.get(d.requestId) ?? 0) + 1);
    }
    return counts;
  };

  return {
    url: `http://127.0.0.1:${port}/crm/leads`,
    deliveries: () => deliveries,
    accepted,
    setBehaviour(next: Behaviour) {
      current = next;
    },
    async close() {
      for (const res of hung) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
export type Receiver = Awaited<ReturnType<typeof startReceiver>>;

import { describe, expect, it } from 'vitest';
import { toCreatedAt, toLeadPayload } from '../src/index.ts';

const zone = { timeZone: 'Europe/Moscow' };

/** The example record of the requests-export document (trimmed to what matters here). */
const documented = {
  date: 1554382259240,
  requestType: 'CLIENT_ORDER',
  dateStr: '04/04/2019 15:50:59',
  manager: 'Вася',
  session: {
    keywords: '(not set)',
    city: 'moscow',
    source: '(direct)',
    medium: '(none)',
    url: 'https://alftest.ru/calltouch/supertest/',
    utmSource: '<не указано>',
    utmMedium: '<не указано>',
    utmTerm: '<не указано>',
    utmContent: '<не указано>',
    utmCampaign: '<не указано>',
    sessionId: 16441053,
  },
  subject: 'Заявка на звонок',
  requestUrl: 'https://test.ru/123',
  requestNumber: '145507',
  requestId: 145507,
  client: {
    fio: 'Коля',
    clientId: 640236,
    phones: [{ phoneNumber: '79991234567', phoneType: 'OTHER' }],
    contacts: [{ contactType: 'EMAIL', contactValue: 'kolya@yandex.ru' }],
  },
  orders: [],
};

describe('toLeadPayload', () => {
  it('normalises the documented example record', () => {
    expect(toLeadPayload(documented, zone)).toEqual({
      requestId: '145507',
      requestNumber: '145507',
      createdAt: '2019-04-04T15:50:59.240+03:00',
      subject: 'Заявка на звонок',
      client: { name: 'Коля', phones: ['79991234567'], emails: ['kolya@yandex.ru'] },
      source: {
        source: '(direct)',
        medium: '(none)',
        campaign: null,
        content: null,
        term: null,
        keyword: null,
        city: 'moscow',
        url: 'https://alftest.ru/calltouch/supertest/',
      },
      raw: documented,
    });
  });

  it('keeps the record untouched under raw (same object, unknown fields included)', () => {
    const record = { ...documented, someFutureField: { x: 1 } };
    expect(toLeadPayload(record, zone).raw).toBe(record);
  });

  it('writes createdAt with the offset of the configured zone', () => {
    expect(toLeadPayload(documented, { timeZone: 'Asia/Yekaterinburg' }).createdAt).toBe(
      '2019-04-04T17:50:59.240+05:00',
    );
    expect(toLeadPayload({ ...documented, date: 1554382259000 }, zone).createdAt).toBe(
      '2019-04-04T15:50:59+03:00',
    );
  });

  it('falls back to dateStr (dd/mm/yyyy, account zone) when date is missing or not a number', () => {
    const { date: _date, ...noDate } = documented;
    expect(toLeadPayload(noDate, zone).createdAt).toBe('2019-04-04T15:50:59+03:00');
    expect(toLeadPayload({ ...documented, date: 'soon' }, zone).createdAt).toBe(
      '2019-04-04T15:50:59+03:00',
    );
    expect(toLeadPayload({ requestId: 1, dateStr: 'garbage' }, zone).createdAt).toBeNull();
  });

  it('is lenient: a minimal record gives nulls and empty lists, never an error', () => {
    expect(toLeadPayload({ requestId: 7 }, zone)).toEqual({
      requestId: '7',
      requestNumber: null,
      createdAt: null,
      subject: null,
      client: { name: null, phones: [], emails: [] },
      source: {
        source: null,
        medium: null,
        campaign: null,
        content: null,
        term: null,
        keyword: null,
        city: null,
        url: null,
      },
      raw: { requestId: 7 },
    });
  });

  it('ignores fields of unexpected types instead of failing the record', () => {
    const odd = {
      requestId: '  88 ',
      requestNumber: 88,
      subject: { nested: true },
      client: {
        fio: null,
        phones: [{ phoneNumber: 79990000001 }, 'junk', { phoneNumber: '79990000001' }],
        contacts: 'not a list',
      },
      session: { utmSource: 'yandex', utmMedium: 'cpc', utmCampaign: 'spring', keyword: 'окна' },
      requestUrl: 'https://example.ru/form',
    };
    const payload = toLeadPayload(odd, zone);
    expect(payload.requestId).toBe('88');
    expect(payload.requestNumber).toBe('88');
    expect(payload.subject).toBeNull();
    expect(payload.client).toEqual({ name: null, phones: ['79990000001'], emails: [] });
    expect(payload.source).toMatchObject({
      source: 'yandex',
      medium: 'cpc',
      campaign: 'spring',
      keyword: 'окна',
      url: 'https://example.ru/form',
    });
  });

  it('takes e-mails from contacts by type or by shape, without duplicates', () => {
    const payload = toLeadPayload(
      {
        requestId: 1,
        client: {
          contacts: [
            { contactType: 'email', contactValue: 'a@b.ru' },
            { contactType: 'OTHER', contactValue: 'c@d.ru' },
            { contactType: 'PHONE', contactValue: '79991234567' },
            { contactType: 'EMAIL', contactValue: 'a@b.ru' },
          ],
        },
      },
      zone,
    );
    expect(payload.client.emails).toEqual(['a@b.ru', 'c@d.ru']);
  });

  it('throws only when there is no usable requestId', () => {
    expect(() => toLeadPayload({ subject: 'x' }, zone)).toThrow();
    expect(() => toLeadPayload({ requestId: '   ' }, zone)).toThrow();
    expect(() => toLeadPayload('not an object', zone)).toThrow();
  });
});

describe('toCreatedAt', () => {
  it('accepts Unix seconds as well as milliseconds', () => {
    expect(toCreatedAt(1554382259, undefined, 'Europe/Moscow')).toBe('2019-04-04T15:50:59+03:00');
  });
  it('gives null for nothing usable', () => {
    expect(toCreatedAt(undefined, undefined, 'Europe/Moscow')).toBeNull();
    expect(toCreatedAt(0, '31/02/2019 10:00:00', 'Europe/Moscow')).toBeNull();
  });
});

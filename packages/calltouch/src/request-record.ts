import { z } from 'zod';

/**
 * One record of the Calltouch requests (leads) journal. The document lists many fields and
 * warns that undocumented ones are obsolete; real records vary by account settings. So only
 * `requestId` is required, a few fields are typed for convenience, and everything else passes
 * through untouched (the leads flow forwards the raw record).
 */
export const calltouchRequestRecordSchema = z.looseObject({
  requestId: z.union([z.number(), z.string().min(1)]),
  requestNumber: z.union([z.string(), z.number()]).nullish(),
  /** Creation time, Unix ms. */
  date: z.number().nullish(),
  /** Creation time `dd/mm/yyyy hh:mm:ss` in the account's time zone. */
  dateStr: z.string().nullish(),
  subject: z.string().nullish(),
  requestUrl: z.string().nullish(),
  manager: z.string().nullish(),
  siteId: z.union([z.number(), z.string()]).nullish(),
  client: z
    .looseObject({
      fio: z.string().nullish(),
      clientId: z.union([z.number(), z.string()]).nullish(),
      phones: z.array(z.looseObject({ phoneNumber: z.string().nullish() })).nullish(),
      contacts: z
        .array(
          z.looseObject({ contactType: z.string().nullish(), contactValue: z.string().nullish() }),
        )
        .nullish(),
    })
    .nullish(),
  session: z.looseObject({}).nullish(),
});

export type CalltouchRequestRecord = z.output<typeof calltouchRequestRecordSchema>;

export const calltouchRequestJournalSchema = z.array(calltouchRequestRecordSchema);

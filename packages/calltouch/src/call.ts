import { z } from 'zod';
import { isWallClock } from './wall-clock.ts';

/**
 * One call as Calltouch's call import takes it (the PBX import document, `calls[]`). The same
 * shape serves the three wire modes; `customSources` is only meaningful for lead-import.
 */
export interface CalltouchCall {
  /** Unique call id, 1..100 chars. Calltouch never re-imports a referenceId it has seen. */
  referenceId: string;
  /** Digits only, e.g. `79991234567`. */
  clientPhoneNumber: string;
  /** The number the client called, digits only. */
  callCenterPhoneNumber: string;
  /** `yyyy-mm-dd hh:mm:ss` in the Calltouch account's time zone. */
  callStartTime: string;
  /** Seconds the client waited before an answer. */
  waitingTime: number;
  /** Total seconds including the waiting time. */
  duration: number;
  status: 'successful' | 'missed';
  /** Who answered; at most 50 characters. */
  manager?: string;
  /**
   * "URL link to the call recording in mp3 format" (PBX import document): Touchline's signed
   * `/v1/recordings/…` URL, http or https. Sent as `callrecordurl` in pbx-single.
   */
  recordUrl?: string;
  /** lead-import only: the source to attribute the call to. */
  customSources?: CalltouchCustomSources;
}

export interface CalltouchCustomSources {
  source: string;
  medium: string;
  campaign: string;
  content?: string;
  term?: string;
}

const DIGITS = /^\d{5,20}$/;
/** Whether `text` is `yyyy-mm-dd hh:mm:ss` naming a real date and time. */
export const isCallStartTime = (text: string): boolean => isWallClock(text, 'yyyy-MM-dd HH:mm:ss');

const customSourcesSchema = z.strictObject({
  source: z.string().min(1),
  medium: z.string().min(1),
  campaign: z.string().min(1),
  content: z.string().exactOptional(),
  term: z.string().exactOptional(),
});

/** The documented constraints of one call; outgoing payloads are checked against it. */
export const calltouchCallSchema = z.strictObject({
  referenceId: z.string().min(1).max(100),
  clientPhoneNumber: z.string().regex(DIGITS, 'expected digits only'),
  callCenterPhoneNumber: z.string().regex(DIGITS, 'expected digits only'),
  callStartTime: z.string().refine(isCallStartTime, 'expected yyyy-mm-dd hh:mm:ss'),
  waitingTime: z.int().min(0),
  duration: z.int().min(0),
  status: z.enum(['successful', 'missed']),
  manager: z.string().min(1).max(50).exactOptional(),
  recordUrl: z
    .url({ protocol: /^https?$/, error: 'expected an http or https URL' })
    .exactOptional(),
  customSources: customSourcesSchema.exactOptional(),
}) satisfies z.ZodType<CalltouchCall>;

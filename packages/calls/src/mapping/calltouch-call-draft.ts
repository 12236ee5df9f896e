/**
 * One call in the shape Calltouch's call import takes, before it is put on the wire. The
 * Calltouch package defines the same shape; the two are to be unified.
 */
export interface CalltouchCallDraft {
  /** MCN `callid`; Calltouch never imports a referenceId twice. */
  referenceId: string;
  /** Caller, digits only, e.g. `79161234567`. */
  clientPhoneNumber: string;
  /** The number called (MCN `did`), digits only. */
  callCenterPhoneNumber: string;
  /** Call start in the Calltouch account's zone, `yyyy-MM-dd HH:mm:ss`. */
  callStartTime: string;
  /** Seconds until answered (or until the caller gave up). */
  waitingTime: number;
  /** Seconds from start to end: waiting + talking. */
  duration: number;
  status: 'successful' | 'missed';
  /** Who answered (MCN `dst_name`); only on answered calls. */
  manager?: string;
}

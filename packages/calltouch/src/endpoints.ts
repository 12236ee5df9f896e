/**
 * The Calltouch endpoints Touchline calls, as it names them in metrics labels, the points table
 * and the limiter. The configuration (`CALLTOUCH_POINTS_COST`) maps onto this list.
 */
export const CALLTOUCH_ENDPOINTS = [
  'calls_import',
  'orders_create',
  'orders_update',
  'requests_export',
] as const;
export type CalltouchEndpoint = (typeof CALLTOUCH_ENDPOINTS)[number];

/**
 * How calls are imported: `pbx-batch` (POST of up to 100 calls to the PBX import), `pbx-single`
 * (the documented one-call GET) or `lead-import` (the API's call import, custom sources).
 */
export const CALLS_MODES = ['pbx-batch', 'pbx-single', 'lead-import'] as const;
export type CallsMode = (typeof CALLS_MODES)[number];

/** Most calls or orders Calltouch takes in one request (PBX import and orders documents). */
export const MAX_ITEMS_PER_REQUEST = 100;

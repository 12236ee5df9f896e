export {
  RECORDINGS_PATH,
  assertSigningKeys,
  createRecordingLinker,
  recordingUrl,
  verifyRecordingSignature,
  type RecordingLinker,
  type RecordingUrlOptions,
  type SignatureCheck,
  type SignatureProblem,
  type SigningKeys,
} from './signature.ts';
export {
  decodeCallid,
  encodeCallid,
  isNameableCallid,
  parseRecordingName,
  recordingName,
} from './recording-name.ts';
export {
  registerRecordingRoutes,
  type RecordingRoutes,
  type RecordingRoutesOptions,
} from './routes.ts';
export { DEFAULT_RETRY_DELAYS_MS } from './open-with-retry.ts';

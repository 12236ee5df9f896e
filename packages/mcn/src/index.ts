export {
  mcnCallSchema,
  callLogPageSchema,
  parseCallLogItems,
  describeIssues,
  type McnCall,
  type InvalidMcnRecord,
} from './call-schema.ts';
export {
  createMcnClient,
  MCN_MAX_PAGE_SIZE,
  type McnClient,
  type McnClientOptions,
  type CallLogResult,
  type CallLogSlice,
  type ReadDayOptions,
} from './client.ts';
export {
  McnError,
  isMcnError,
  mcnRequestOutcome,
  type McnErrorCode,
  type McnErrorOptions,
} from './errors.ts';
export {
  createRecordingSource,
  recordingErrorFromStatus,
  type OpenRecordingOptions,
  type RecordingAnswer,
  type RecordingAudio,
  type RecordingRangeNotSatisfiable,
  type RecordingSettings,
  type RecordingSource,
  type RecordingTimeouts,
} from './recording.ts';

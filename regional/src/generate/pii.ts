/** PII redaction lives in shared/text/pii.ts (the edge's logs use it too); this path keeps working. */
export { redactPii } from '../../../shared/text/pii.ts';

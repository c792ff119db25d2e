export { DEFAULT_RETRY, type RetryPolicy, retryDelayMs } from "./backoff";
export {
  type AttemptOutcome,
  type ClaimedDelivery,
  claimDueDeliveries,
  DELIVERY_LOG_DAYS,
  listDeliveries,
  pruneDeliveryLog,
  recordAttempt,
} from "./deliveries";
export {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  listWebhookEndpoints,
  MAX_WEBHOOK_ENDPOINTS,
  redeliverWebhook,
  rotateWebhookSecret,
  sendWebhookTest,
  updateWebhookEndpoint,
  type WebhookEndpointInput,
  type WebhookEndpointUpdate,
  WebhookError,
  webhookEndpointInput,
  webhookEndpointUpdate,
  webhookUrl,
} from "./endpoints";
export { enqueueWebhookEvents, MAX_PENDING_PER_ENDPOINT } from "./enqueue";
export {
  newEvent,
  nodeOfflineEvent,
  rebootRecordEvents,
  rolledBackEvent,
  rolloutEvents,
  rolloutEventType,
  TEST_EVENT_TYPE,
  WEBHOOK_EVENT_LABELS,
  WEBHOOK_EVENT_TYPES,
  type WebhookEvent,
  type WebhookEventType,
} from "./events";
export {
  dashboardLink,
  PAYLOAD_VERSION,
  renderPayload,
  summaryOf,
  WEBHOOK_FORMATS,
  type WebhookFormat,
} from "./render";
export {
  DELIVERY_HEADER,
  EVENT_HEADER,
  newSigningSecret,
  SIGNATURE_HEADER,
  signatureHeader,
  signatureProblem,
} from "./signature";

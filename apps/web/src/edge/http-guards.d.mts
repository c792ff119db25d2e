import type { IncomingMessage, ServerResponse } from "node:http";

export const MAX_BODY_BYTES: number;
export function limitBody(req: IncomingMessage, res: ServerResponse, limit?: number): boolean;
export function refuseCrossSite(req: IncomingMessage, res: ServerResponse, options?: { trustProxy?: boolean }): boolean;
export function clientAddress(req: IncomingMessage, trustedHops?: number): string;
export function securityHeaders(res: ServerResponse, options?: { https?: boolean }): void;

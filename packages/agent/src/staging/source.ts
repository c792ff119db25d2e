/**
 * What the server asks to stage (an image: version, URL, sha256) and the
 * checks that come before anything touches the disk or the network.
 */
import { isIPv4 } from "node:net";
import { StageError } from "./errors";

export interface ImageSource {
  version: string;
  url: string;
  /** 64 hex digits, any case. */
  sha256: string;
}

const versionPattern = /^[A-Za-z0-9._-]{1,128}$/;

/** A version names a folder: no "/", no "..", nothing a path could escape with. */
export function checkVersion(version: string): void {
  if (!versionPattern.test(version) || version === "." || version === "..") {
    throw new StageError(
      "bad-version",
      `image version ${JSON.stringify(version.slice(0, 140))} is not allowed: use 1-128 of A-Z a-z 0-9 . _ - (and not "." or "..")`,
    );
  }
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "localhost" || host === "::1") return true;
  return isIPv4(host) && host.startsWith("127.");
}

/** https anywhere; http only to loopback (the image and the agent's Authorization would travel in clear). */
export function checkImageUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new StageError("bad-input", `image URL ${JSON.stringify(value.slice(0, 200))} is not a valid URL`);
  }
  if (url.protocol === "https:") return url;
  if (url.protocol === "http:" && isLoopbackHost(url.hostname)) return url;
  throw new StageError(
    "insecure-url",
    `image URL ${url.origin} refused: use https (plain http is allowed only to 127.0.0.0/8, ::1 or localhost)`,
  );
}

export function checkSource(source: ImageSource): { url: URL; sha256: string } {
  checkVersion(source.version);
  const url = checkImageUrl(source.url);
  if (!/^[0-9A-Fa-f]{64}$/.test(source.sha256)) {
    throw new StageError("bad-input", "image sha256 must be 64 hex digits");
  }
  return { url, sha256: source.sha256.toLowerCase() };
}

import { labels } from "@softfleet/protocol";
import { z } from "zod";
import { ROLES } from "./auth/roles";

/** Input schemas shared by routers, the CLI and the UI's forms. */
export const id = z.string().trim().min(1, "must not be empty").max(64, "is too long");

export const username = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9._-]{1,63}$/, "must be 2-64 characters: letters, digits, '.', '_' or '-'");

export const password = z
  .string()
  .min(10, "must be at least 10 characters")
  .max(1024, "must be at most 1024 characters");

export const role = z.enum(ROLES, { error: `must be one of ${ROLES.join(", ")}` });

export const displayName = z.string().trim().min(1, "must not be empty").max(100, "must be at most 100 characters");

export const groupName = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(64, "must be at most 64 characters")
  .regex(
    /^[\p{L}\p{N}][\p{L}\p{N} ._:/-]*$/u,
    "may hold letters, digits, spaces and . _ : / - (starting with a letter or digit)",
  );

export const groupDescription = z.string().trim().max(500, "must be at most 500 characters");

export const nodeIds = z.array(id).min(1, "must name at least one node").max(10_000, "names too many nodes");

/** A group's label selector: key=value pairs a node's labels must all hold (the agent protocol's label rules). */
export const labelSelector = labels;

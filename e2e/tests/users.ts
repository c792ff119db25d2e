/** The accounts the browser tests log in with (created by global-setup). */
export const E2E_USERS = {
  admin: { username: "e2e-admin", password: "e2e admin password", role: "admin" },
  viewer: { username: "e2e-viewer", password: "e2e viewer password", role: "viewer" },
} as const;

import { describe, expect, it } from "vitest";
import { claimValues, mapRole, noRoleMessage, parseRoleMap, RoleMapError } from "./sso-roles";

const rules = parseRoleMap("softfleet-admins=admin, softfleet-ops=operator,softfleet-viewers=viewer");

describe("the role map (OIDC_ROLE_MAP)", () => {
  it("reads value=role rules, a group name with '=' included", () => {
    expect(parseRoleMap("a=b=admin,*=viewer")).toEqual([
      { value: "a=b", role: "admin" },
      { value: "*", role: "viewer" },
    ]);
  });

  it("names the rule that is wrong", () => {
    expect(() => parseRoleMap("ops=operator,staff=superuser")).toThrow(
      new RoleMapError('rule "staff=superuser": the role must be one of viewer, operator, admin'),
    );
    expect(() => parseRoleMap("ops")).toThrow(/rule "ops" must be value=role/);
    expect(() => parseRoleMap(" , ")).toThrow(/at least one rule/);
    expect(() => parseRoleMap(Array.from({ length: 51 }, (_, i) => `g${i}=viewer`).join(","))).toThrow(/at most 50/);
  });

  it("gives the highest role any of the user's groups maps to", () => {
    expect(mapRole(rules, ["staff", "softfleet-viewers", "softfleet-ops"])).toEqual({
      role: "operator",
      matched: ["softfleet-ops"],
    });
    expect(mapRole(rules, ["softfleet-admins", "softfleet-viewers"]).role).toBe("admin");
  });

  it("refuses a user none of whose groups is mapped, keeping what was seen", () => {
    expect(mapRole(rules, ["marketing", "staff"])).toEqual({ role: null, seen: ["marketing", "staff"] });
    expect(mapRole(rules, [])).toEqual({ role: null, seen: [] });
  });

  it('"*" maps anyone signed in at the provider, and a real group still outranks it', () => {
    const withStar = parseRoleMap("softfleet-ops=operator,*=viewer");
    expect(mapRole(withStar, [])).toEqual({ role: "viewer", matched: ["*"] });
    expect(mapRole(withStar, ["softfleet-ops"]).role).toBe("operator");
  });

  it("tells a refused user which claim and values were seen", () => {
    expect(noRoleMessage("groups", ["marketing", "staff"])).toContain('"groups" claim holds "marketing", "staff"');
    expect(noRoleMessage("groups", [])).toContain('no "groups" values');
    const many = Array.from({ length: 25 }, (_, i) => `g${i}`);
    expect(noRoleMessage("groups", many)).toContain("and 15 more");
  });
});

describe("the role claim's values", () => {
  it("reads a list, a single string, or a dotted path (Keycloak's realm_access.roles)", () => {
    expect(claimValues({ groups: ["a", "b"] }, "groups")).toEqual(["a", "b"]);
    expect(claimValues({ role: "ops" }, "role")).toEqual(["ops"]);
    expect(claimValues({ realm_access: { roles: ["x"] } }, "realm_access.roles")).toEqual(["x"]);
    expect(claimValues({ "https://example.com/groups": ["y"] }, "https://example.com/groups")).toEqual(["y"]);
  });

  it("ignores what is not text, and bounds what the provider sends", () => {
    expect(claimValues({ groups: ["a", 1, null, { x: 1 }, "b"] }, "groups")).toEqual(["a", "b"]);
    expect(claimValues({ groups: 42 }, "groups")).toEqual([]);
    expect(claimValues({}, "groups")).toEqual([]);
    expect(claimValues({ a: { __proto__: { b: ["polluted"] } } }, "a.b")).toEqual([]);
    const huge = claimValues({ groups: Array.from({ length: 10_000 }, () => "g".repeat(1000)) }, "groups");
    expect(huge).toHaveLength(500);
    expect(huge[0]).toHaveLength(256);
  });
});

export * from "./common";
export * from "./events";
export * from "./messages";
export * from "./payloads";
export * from "./state";

// Preloaded into the Prisma CLI: its JS schema engine leaves long timers
// behind that keep the process alive for about a minute after its work is
// done. Long timers must not hold the process open, so unref them.
const realSetTimeout = global.setTimeout;
global.setTimeout = function setTimeoutUnrefLong(fn, ms, ...args) {
  const timer = realSetTimeout(fn, ms, ...args);
  if (typeof ms === "number" && ms >= 10_000 && timer && typeof timer.unref === "function") timer.unref();
  return timer;
};

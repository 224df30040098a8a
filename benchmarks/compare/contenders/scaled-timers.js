// Preloaded (node --require) into the official action when the sandbox
// runs faster than real time: every timer waits TIME_SCALE times as long,
// so the action's waiter delays and SDK retry backoffs keep their length in
// sandbox seconds. Wraps the timer functions; the action is not changed.
'use strict';
const scale = Number(process.env.TIME_SCALE);
if (Number.isFinite(scale) && scale > 0 && scale < 1) {
  const realSetTimeout = global.setTimeout;
  global.setTimeout = function scaledSetTimeout(fn, ms, ...args) {
    return realSetTimeout(fn, (Number(ms) || 0) * scale, ...args);
  };
}
